/**
 * The inference log survives `kill -9` of the real model server process mid-stream: every batch
 * it acknowledged (an external prediction log answered 200; served rows counted as written in
 * /metrics) is in the Parquet windows after the restart, once, and nothing it never saw appears.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, withDuckDb } from '../../src/data/duckdb';
import { mergedLogSql, servedLogFiles } from '../../src/data/served-source';
import { killHard, spawnServer, type ServerProcess } from '../../src/serving/server-process';
import { ADMIN_TOKEN, LABELER_TOKEN, call, createServingWorld, serverProcessEnv, flight, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

let world: ServingWorld;
let logDir: string;
let env: Record<string, string>;
const running: ServerProcess[] = [];

beforeAll(async () => {
  world = await createServingWorld();
  logDir = await mkdtemp(join(tmpdir(), 'slipway-inference-log-restart-'));
  env = {
    ...serverProcessEnv(world),
    SLIPWAY_SERVE_LABELER_TOKEN: LABELER_TOKEN,
    SLIPWAY_INFERENCE_LOG_DIR: logDir,
    SLIPWAY_SERVE_LOG_SAMPLE: '1',
    // One long window: at the kill everything acknowledged is still only in the write-ahead segment.
    SLIPWAY_SERVE_LOG_WINDOW_SECONDS: '3600',
  };
});

afterAll(async () => {
  for (const p of running) await killHard(p);
  await world?.close();
  await rm(logDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const postLog = (base: string, ids: string[]) =>
  fetch(`${base}/v1/models/delays/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${LABELER_TOKEN}` },
    body: ids.map((requestId, i) => JSON.stringify({ requestId, features: flight(500 + i), prediction: 0.5 })).join('\n'),
  });

const writtenRows = async (base: string) => {
  const text = (await call(base, 'GET', '/metrics', undefined, { token: null })).body as string;
  return Number(/slipway_serving_inference_log_rows_total\{outcome="written"\} (\d+)/.exec(text)?.[1] ?? 0);
};

describe('inference log across kill -9', () => {
  it('keeps every acknowledged batch, once', async () => {
    const { version } = await world.register('delays', tinyFlightsModel({ bias: -1 }));
    const first = await spawnServer(env);
    running.push(first);
    expect((await call(first.base, 'PUT', '/admin/v1/models/delays/deployment', { versions: [{ version, weight: 100 }] })).status).toBe(200);

    // Served traffic in the background for the whole stream, so the kill lands mid-flush.
    let stop = false;
    const servedIds: string[] = [];
    const traffic = (async () => {
      while (!stop) {
        const r = await fetch(`${first.base}/v1/models/delays/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ row: flight(900) }) }).catch(() => undefined);
        if (r?.ok) servedIds.push(((await r.json()) as { requestId: string }).requestId);
      }
    })();
    const acked: string[] = [];
    for (let b = 0; b < 15; b++) {
      const ids = Array.from({ length: 20 }, (_, i) => `ext-${b}-${i}`);
      const r = await postLog(first.base, ids);
      expect(r.status).toBe(200);
      acked.push(...ids);
    }
    const writtenBeforeKill = await writtenRows(first.base);
    // Another batch in flight at the kill: it may or may not be stored, but never half-parsed.
    const inFlight = postLog(first.base, Array.from({ length: 20 }, (_, i) => `late-${i}`)).catch(() => undefined);
    await killHard(first);
    stop = true;
    await Promise.all([traffic, inFlight]);
    expect(servedIds.length).toBeGreaterThan(0);

    // The restart seals what the killed process left before it listens.
    const second = await spawnServer(env);
    running.push(second);
    const files = await servedLogFiles(logDir, world.store, 'delays');
    const rows = await withDuckDb({ threads: 1 }, (conn) => queryRows(conn, `SELECT request_id, "row", source, count(*) OVER (PARTITION BY source, request_id, "row") AS copies FROM ${mergedLogSql(files)}`));
    const external = new Set(rows.filter((r) => r.source === 'env:serve-labeler').map((r) => r.request_id as string));
    for (const id of acked) expect(external.has(id), id).toBe(true);
    expect(rows.every((r) => r.copies === 1)).toBe(true);
    // Acknowledged = fsynced before the kill; the log may hold more (flushed after the count was read), never less.
    expect(rows.length).toBeGreaterThanOrEqual(writtenBeforeKill);
    const known = new Set([...servedIds, ...acked, ...Array.from({ length: 20 }, (_, i) => `late-${i}`)]);
    // Served rows whose answer the client never read (killed in flight) are fine; ids nobody issued are not.
    const served = rows.filter((r) => r.source === 'server');
    expect(served.filter((r) => servedIds.includes(r.request_id as string)).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.source !== 'server').every((r) => known.has(r.request_id as string))).toBe(true);
    // The restarted server goes on logging into fresh segments.
    expect((await call(second.base, 'POST', '/v1/models/delays/predict', { row: flight(900) }, { token: null })).status).toBe(200);
    await killHard(second);
  });
});
