/**
 * Benchmark: what the inference log costs in peak throughput. The model server (a real model
 * trained on a week of flights, real held-out flights as single-row /v1 predictions) is run with
 * logging off, at a 5% sample and at 100%, one at a time, in interleaved rounds so all three see
 * the same machine; each round is a closed-loop autocannon peak. Targets (issue 18): cost ≤ 5% of
 * peak throughput at 5%, ≤ 15% at 100%. After each logged run the rows written are checked against
 * the sampled share of the requests served.
 * Usage: npm run bench:inference-log   (INFERENCE_LOG_BENCH_SECONDS, INFERENCE_LOG_BENCH_ROUNDS)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { spawnServer, stopServer } from '../src/serving/server-process';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';
import { FLIGHTS_FEATURES, writeFlightsWindow } from '../src/data/flights-window';
import { loadFlightTraffic } from '../tools/replay-traffic';

const MODEL = 'flight-delay';
const TOKEN = randomBytes(32).toString('hex');
const SECONDS = Number(process.env.INFERENCE_LOG_BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.INFERENCE_LOG_BENCH_ROUNDS ?? 3);
const CONFIGS = [
  { name: 'off', sample: undefined, target: undefined },
  { name: '5%', sample: '0.05', target: 0.05 },
  { name: '100%', sample: '1', target: 0.15 },
] as const;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-inference-log-'));
  try {
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const registryPath = path.join(dir, 'registry.sqlite');
    const artifactRoot = path.join(dir, 'artifacts');
    const registry = new SqliteModelRegistry({ path: registryPath });
    const store = new LocalArtifactStore({ root: artifactRoot });
    const trainPath = path.join(dir, 'train.parquet');
    await writeFlightsWindow(trainPath, '2001-03-01', '2001-03-08');
    const { modelPath } = await runBuiltinTrainer({ trainPath, features: FLIGHTS_FEATURES, params: { epochs: 2, seed: 1 }, outputDir: path.join(dir, 'model') });
    const artifact = await store.put(modelPath, { name: 'model', mediaType: 'application/onnx' });
    const { version } = await registry.registerVersion({
      model: MODEL,
      idempotencyKey: 'bench/1',
      artifact,
      metrics: {},
      params: {},
      lineage: { dataDigest: artifact.sha256, specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'bench', trainer: 'builtin' },
    });
    await registry.close();
    const traffic = await loadFlightTraffic({ from: '2001-03-08', to: '2001-03-22', limit: 500 });
    const requests = traffic.rows.map((row) => ({ method: 'POST' as const, path: `/v1/models/${MODEL}/predict`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ row }) }));

    const results = new Map<string, number[]>(CONFIGS.map((c) => [c.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const config of CONFIGS) {
        const logDir = path.join(dir, `log-${config.name}-${round}`);
        const server = await spawnServer({
          SLIPWAY_DATA_DIR: dir,
          SLIPWAY_REGISTRY_PATH: registryPath,
          SLIPWAY_ARTIFACT_ROOT: artifactRoot,
          SLIPWAY_SERVE_STATE_PATH: path.join(dir, `state-${config.name}-${round}.json`),
          SLIPWAY_SERVE_ADMIN_TOKEN: TOKEN,
          SLIPWAY_SERVE_RATE_LIMIT: '1000000',
          ...(config.sample === undefined ? {} : { SLIPWAY_INFERENCE_LOG_DIR: logDir, SLIPWAY_SERVE_LOG_SAMPLE: config.sample }),
          // A loaded machine starts tsx slowly.
        }, 120_000);
        try {
          const put = await fetch(`${server.base}/admin/v1/models/${MODEL}/deployment`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ versions: [{ version, weight: 100 }] }),
          });
          if (!put.ok) throw new Error(`deployment refused: ${put.status} ${await put.text()}`);
          await autocannon({ url: server.base, connections: 16, duration: 2, requests }); // warm-up
          const r = await autocannon({ url: server.base, connections: 16, duration: SECONDS, requests });
          if (r.non2xx > 0 || r.errors > 0) throw new Error(`${config.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          results.get(config.name)!.push(r.requests.average);
          const metrics = await (await fetch(`${server.base}/metrics`)).text();
          const written = Number(/slipway_serving_inference_log_rows_total\{outcome="written"\} (\d+)/.exec(metrics)?.[1] ?? 0);
          const dropped = Number(/slipway_serving_inference_log_rows_total\{outcome="dropped"\} (\d+)/.exec(metrics)?.[1] ?? 0);
          console.log(
            `round ${round} ${config.name.padEnd(4)}: ${r.requests.average.toFixed(0)} req/s, p99 ${r.latency.p99} ms` +
              (config.sample === undefined ? '' : `; log rows written ${written}, dropped ${dropped} (of ${r.requests.total} measured + the warm-up's requests)`),
          );
        } finally {
          await stopServer(server);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const off = median(results.get('off')!);
    const spread = (xs: number[]) => Math.max(...xs) / Math.min(...xs);
    // Rounds of one configuration that differ by more than the smallest cost we judge mean the machine, not the log, moved.
    const noisy = CONFIGS.some((c) => spread(results.get(c.name)!) > 1.05);
    console.log(`\npeak throughput, median of ${ROUNDS} rounds of ${SECONDS} s (16 connections, single-row /v1):`);
    for (const c of CONFIGS) console.log(`  ${c.name.padEnd(4)} rounds: ${results.get(c.name)!.map((x) => x.toFixed(0)).join(', ')} req/s (max/min ${spread(results.get(c.name)!).toFixed(2)})`);
    if (noisy) console.log('  INCONCLUSIVE: rounds of one configuration differ by more than 5%; rerun on a quiet machine');
    console.log(`  off : ${off.toFixed(0)} req/s`);
    for (const c of CONFIGS.slice(1)) {
      const rps = median(results.get(c.name)!);
      const cost = 1 - rps / off;
      console.log(`  ${c.name.padEnd(4)}: ${rps.toFixed(0)} req/s, cost ${(cost * 100).toFixed(1)}% (target ≤ ${(c.target! * 100).toFixed(0)}%) ${noisy ? '(inconclusive)' : cost <= c.target! ? 'OK' : 'ABOVE TARGET'}`);
    }
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
