/**
 * Issue #13 item 9 (secrets part): a run's `env` values are secrets for all Slipway knows. They
 * never reach the audit log (readable by every viewer) nor a run's status, and registered
 * trainers take secrets from the worker's environment by name instead (command-trainer-rce.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrustEnv, WINDOW, type TrustEnv } from './support/trust-spec-env';

const SECRET = 'sk-live-0123456789-do-not-store';
let t: TrustEnv;
const counts = { attempts: 0, refused: 0, unchanged: 0 };

beforeAll(async () => {
  // An admin allowed root inline commands, so the spec below is accepted and runs.
  t = await startTrustEnv({ SLIPWAY_INLINE_COMMAND_PRINCIPALS: 'root' });
}, 120_000);

afterAll(async () => {
  await t?.close();
   
  console.log(`[attacks] secrets-in-audit: ${JSON.stringify(counts)}`);
});

const spec = {
  name: 'with-secret',
  model: 'with-secret',
  steps: [
    { id: 'ingest', kind: 'ingest', with: { source: { path: 'package:vega-datasets/data/flights-3m.parquet' }, timeColumn: 'date', window: WINDOW.ingest.window, features: [{ name: 'distance', column: 'distance', transform: 'double' }], label: { column: 'delay', op: 'gt', value: 15 } } },
    { id: 'train', kind: 'train', dependsOn: ['ingest'], with: { trainer: 'command', command: [process.execPath, '-e', 'process.exit(process.env.API_SECRET ? 4 : 5)'], env: { API_SECRET: SECRET }, features: { numeric: ['distance'] } } },
  ],
};

describe('secrets in a run stay out of what others read', () => {
  it('stores the run.start audit entry with env values and the run ticket redacted, so a viewer reads neither', async () => {
    const res = await t.call('root', 'POST', '/v1/runs', { input: { spec }, idempotencyKey: 'secret-run' });
    expect(res.status).toBe(201);
    const id = String(res.body.workflowId);
    await t.raw.result(id).catch(() => undefined);
    counts.attempts++;
    const audit = await t.call('vic', 'GET', '/v1/audit?limit=100');
    expect(audit.status).toBe(200);
    const text = JSON.stringify(audit.body);
    expect(text).toContain(`run:${id}`);
    expect(text).not.toContain(SECRET);
    const entry = (audit.body.entries as Array<{ action: string; details: { input: { spec: typeof spec } } }>).find((e) => e.action === 'run.start')!;
    expect(entry.details.input.spec.steps[1].with.env).toEqual({ API_SECRET: '[redacted]' });
    counts.refused++;
    const status = await t.call('vic', 'GET', `/v1/runs/${id}`);
    expect(JSON.stringify(status.body)).not.toContain(SECRET);
    // The trainer did get it (exit 4, not 5): redaction is of the record, not of the run.
    expect(JSON.stringify(status.body)).toMatch(/exited with code 4/);
    counts.unchanged++;
  }, 120_000);
});
