/**
 * Benchmark: what shadow mode costs the champion's callers. A real model server process serves
 * a flights model; autocannon sends single-row predictions with a fixed number of connections
 * (closed loop, so throughput is the server's capacity) in alternating rounds (order alternating too) without and with a
 * shadow version scoring every request off the response path, for both scorers (the TypeScript
 * linear scorer and onnxruntime). Reported: throughput and client p50/p99 per mode, and the
 * ratio shadow / none of each adjacent pair of rounds with their median (on a shared, loaded
 * machine one round's throughput can differ several-fold from the next; pairs see the same moment).
 * Usage: npx tsx bench/shadow.ts [seconds per round, default 3] [rounds, default 5]
 */
import os from 'node:os';
import autocannon from 'autocannon';
import { spawnServer, stopServer } from '../src/serving/server-process';
import { ADMIN_TOKEN, call, createServingWorld, flight, tinyFlightsModel } from '../test/serving/serving-fixtures';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONNECTIONS = 16;
const MODEL = 'bench';

/** Floor: the shadow doubles the scoring work, so the champion keeps at least this share of its throughput. */
const THROUGHPUT_FLOOR = 0.5;

interface Round {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(base: string): Promise<Round> {
  const r = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ row: flight(1200) }),
    requests: [{ path: `/v1/models/${MODEL}/predict` }],
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const world = await createServingWorld();
  try {
    const champion = (await world.register(MODEL, tinyFlightsModel({ distance: 2 }))).version;
    const shadow = (await world.register(MODEL, tinyFlightsModel({ distance: 2.1 }))).version;
    for (const scorer of ['auto', 'onnxruntime'] as const) {
      const server = await spawnServer({
        SLIPWAY_DATA_DIR: world.dir,
        SLIPWAY_REGISTRY_PATH: world.registryPath,
        SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
        SLIPWAY_SERVE_STATE_PATH: `${world.dir}/state-${scorer}.json`,
        SLIPWAY_SERVE_ADMIN_TOKEN: ADMIN_TOKEN,
        SLIPWAY_SERVE_PORT: '0',
        SLIPWAY_SERVE_RATE_LIMIT: '0',
        SLIPWAY_SERVE_LINEAR_SCORER: scorer,
      });
      try {
        const deploy = (withShadow: boolean) =>
          call(server.base, 'PUT', `/admin/v1/models/${MODEL}/deployment`, { versions: [{ version: champion, weight: 100 }, { version: shadow, weight: 0 }], ...(withShadow && { shadow }) });
        await deploy(false);
        await load(server.base); // warm-up
        const rounds: Record<'none' | 'shadow', Round[]> = { none: [], shadow: [] };
        for (let i = 0; i < ROUNDS; i++) {
          // Which mode goes first alternates, so neither gets the quieter half of every pair.
          for (const mode of i % 2 === 0 ? (['none', 'shadow'] as const) : (['shadow', 'none'] as const)) {
            await deploy(mode === 'shadow');
            rounds[mode].push(await load(server.base));
          }
        }
        const stats = (await call(server.base, 'GET', `/admin/v1/models/${MODEL}/stats?windowSeconds=600`)).body as { shadow?: { scored: number; dropped: number } };
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const of = (mode: 'none' | 'shadow', k: keyof Round) => mean(rounds[mode].map((r) => r[k]));
        console.log(`\nscorer ${scorer === 'auto' ? 'TypeScript linear' : 'onnxruntime'}: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s each`);
        for (const mode of ['none', 'shadow'] as const) {
          console.log(`   ${mode.padEnd(7)} ${of(mode, 'rps').toFixed(0)} req/s  p50 ${of(mode, 'p50').toFixed(2)} ms  p99 ${of(mode, 'p99').toFixed(2)} ms  (non-2xx ${of(mode, 'non2xx')}, errors ${of(mode, 'errors')})  [${rounds[mode].map((r) => r.rps.toFixed(0)).join(', ')} req/s]`);
        }
        const paired = (k: keyof Round) => rounds.shadow.map((r, i) => r[k] / rounds.none[i][k]).sort((a, b) => a - b);
        const median = (xs: number[]) => xs[Math.floor(xs.length / 2)];
        const show = (k: keyof Round) => `median ${median(paired(k)).toFixed(2)} [${paired(k).map((x) => x.toFixed(2)).join(', ')}]`;
        console.log(`   throughput shadow/none per pair: ${show('rps')} (floor ${THROUGHPUT_FLOOR})`);
        console.log(`   p50 shadow/none per pair: ${show('p50')}; p99: ${show('p99')}`);
        console.log(`   shadow scored ${stats.shadow?.scored ?? 0}, dropped ${stats.shadow?.dropped ?? 0}`);
      } finally {
        await stopServer(server);
      }
    }
    console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await world.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
