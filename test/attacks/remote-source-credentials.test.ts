/**
 * Attack: smuggle credentials, or reach an unlisted host, through a remote `source.path`. A spec
 * carrying a key field, a password in the URL or a pre-signed URL is refused by the API (400,
 * naming the field, no run started, nothing recorded, the secret not echoed) and by the worker
 * for a run started through Temporal directly; an unlisted bucket fails before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../src/client/slipway-client';
import { ingestOnly } from './support/trust-input-sources';
import { startStack, type Stack } from './support/trust-input-stack';

const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';

const withSource = (source: Record<string, unknown>) => {
  const spec = ingestOnly(String(source.path), 'parquet');
  spec.steps[0].with.source = { ...spec.steps[0].with.source, ...source } as typeof spec.steps[0]['with']['source'];
  return spec;
};

describe('attack: credentials or unlisted hosts in a remote source', () => {
  let s: Stack;

  beforeAll(async () => {
    s = await startStack({ workerEnv: { SLIPWAY_REMOTE_SOURCES: 's3://lake' } });
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each([
    ['a key field', { path: 's3://lake/flights.parquet', secretAccessKey: SECRET }, 'source.secretAccessKey'],
    ['a password in the URL', { path: `https://reader:${SECRET}@data.example.org/flights.parquet` }, 'source.path'],
    ['a pre-signed URL', { path: `https://lake.s3.amazonaws.com/flights.parquet?X-Amz-Credential=AKIA&X-Amz-Signature=${SECRET}` }, 'source.path'],
  ])('the API refuses %s with 400 naming the field, starts nothing and echoes no secret', async (name, source, field) => {
    const before = await s.snapshot();
    const input = { spec: withSource(source) };
    const key = `creds-${name.length}`;
    const res = await s.call('POST', '/v1/runs', { input, idempotencyKey: key });
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^input\\.spec\\.steps\\[0\\]\\.with\\.${field.replace('.', '\\.')}: .*credentials never go in the spec`))]),
    );
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    expect(await s.noWorkflow(workflowIdFor(input, key))).toBe(true);
    expect(await s.snapshot()).toEqual(before);
  });

  it('a run started through Temporal directly with a key in the spec fails at resolve, naming the field', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: withSource({ path: 's3://lake/flights.parquet', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET }) });
    expect(failure.type).toBe('InvalidPipelineInput');
    expect(visible).toMatch(/source\.secretAccessKey: credentials never go in the spec/);
    expect(visible).not.toContain(SECRET);
    expect(await s.snapshot()).toEqual(before);
  });

  it('a bucket off the allow-list fails at ingest before any request, naming the rule', async () => {
    const before = await s.snapshot();
    const { failure, visible } = await s.mustFail({ spec: withSource({ path: 's3://other-bucket/flights.parquet' }) });
    expect(failure.type).toBe('DataSourceError');
    expect(visible).toMatch(/s3:\/\/other-bucket is not an allowed remote source \(allowed: s3:\/\/lake\)\. Ask an admin to add it to SLIPWAY_REMOTE_SOURCES/);
    expect(await s.snapshot()).toEqual(before);
  });
});
