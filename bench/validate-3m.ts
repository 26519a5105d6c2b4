/**
 * Benchmark: ingest plus full validation (every check, drift and the tainted-data checks included)
 * of all 3,000,000 flights, against a champion whose training data (2.4M rows) is the drift
 * reference and whose model (ONNX) scores every row of the batch for label consistency. The
 * champion's holdout baseline is scored in the first round and remembered by the worker after.
 *
 * Floor, measured in the same run and interleaved with it: a bare DuckDB scan computing the same
 * column statistics (per-column value counts and histograms, nulls, label rate, duplicate sample)
 * over the source file and over the reference snapshot, with no artifact store, no files written
 * and no reports. Targets: ingest + validate <= 5 s, and <= 3x the floor.
 * Usage: npm run bench:validate [-- --rounds 3]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ingestSnapshot } from '../src/activities/ingest';
import { validateSnapshots } from '../src/activities/validate';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { queryRows, sqlString, withDuckDb } from '../src/data/duckdb';
import { SOURCE_LIMIT_DEFAULTS } from '../src/data/data-roots';
import { resolveSourcePath } from '../src/data/source-path';
import { ingestParamsSchema, validateParamsSchema } from '../src/pipeline/step-params';
import type { StepOutputBody, StepRequest } from '../src/pipeline/types';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';

const THREADS = Number(process.env.SLIPWAY_DUCKDB_THREADS ?? 2);
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The same statistics validation gathers, as bare SQL: one GROUPING SETS scan per file set, plus the duplicate sample. */
async function bareDuckDbFloor(source: string, reference: string): Promise<number> {
  const started = performance.now();
  await withDuckDb({ threads: THREADS }, async (conn) => {
    const derived = `SELECT hour(date) AS hour, dayofweek(date) AS weekday, month(date) AS month, CAST(distance AS DOUBLE) AS distance,
      origin, destination, CAST(delay > 15 AS INTEGER) AS label, date AS event_time FROM read_parquet(${sqlString(source)})`;
    const stats = (from: string) => `SELECT hour, weekday, month, d, origin, destination, label, count(*) AS n
      FROM (SELECT hour, weekday, month, CAST(floor(distance / 1.2) AS BIGINT) AS d, origin, destination, label FROM (${from}))
      GROUP BY GROUPING SETS ((hour), (weekday), (month), (d), (origin), (destination), (label))`;
    await queryRows(conn, stats(derived));
    await queryRows(conn, `SELECT count(*), count(DISTINCT h) FROM (SELECT hash(hour, weekday, month, distance, origin, destination, label, event_time) AS h FROM (${derived})) WHERE h % 12 = 0`);
    await queryRows(conn, stats(`SELECT * FROM read_parquet(${sqlString(reference)})`));
  });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-validate-'));
  const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  const registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  try {
    const spec = parseYaml(await readFile(path.join(__dirname, '..', 'pipelines', 'flight-delay.yaml'), 'utf8'));
    const ingestParams = ingestParamsSchema.parse(spec.steps.find((s: { id: string }) => s.id === 'ingest').with);
    const validateParams = validateParamsSchema.parse(spec.steps.find((s: { id: string }) => s.id === 'validate').with ?? {});
    // The flights source is a `package:` one, confined to its package: no data root needed.
    const deps = { store, registry, duckdbThreads: THREADS, dataRoots: { roots: [], ...SOURCE_LIMIT_DEFAULTS } };
    const request = (id: string, ingested: StepOutputBody<'ingest'>): StepRequest => ({
      ctx: { workflowId: id, runId: id, stepId: 'validate', pipeline: 'flight-delay', model: 'flight-delay', specDigest: 'bench' },
      params: {},
      inputs: { ingest: { kind: 'ingest', ...ingested } },
    });

    // Setup (untimed): a first run makes the champion whose training data is the drift reference.
    const first = await ingestSnapshot(deps, ingestParams, 'ingest');
    const firstValidation = await validateSnapshots(deps, request('setup', first), validateParams);
    // A real champion to score with (the built-in model, one epoch): label consistency streams the batch through it.
    const trained = await runBuiltinTrainer({
      trainPath: await store.localPath(first.artifacts.train),
      features: { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' },
      params: { epochs: 1, seed: 7 },
      outputDir: path.join(dir, 'champion'),
    });
    const model = await store.put(trained.modelPath, { name: 'model', mediaType: 'application/onnx' });
    const version = await registry.registerVersion({
      model: 'flight-delay',
      idempotencyKey: 'bench-setup',
      artifact: model,
      metrics: {},
      params: {},
      lineage: { dataDigest: String(first.summary.dataDigest), specDigest: 'bench', workflowId: 'setup', runId: 'setup', pipeline: 'flight-delay', trainer: 'none', trainData: first.artifacts.train, holdoutData: first.artifacts.holdout, schema: firstValidation.artifacts.schema },
    });
    await registry.setAlias({ model: 'flight-delay', alias: 'champion', version: version.version, expectedVersion: null, actor: 'bench', reason: 'setup' });
    const source = resolveSourcePath(ingestParams.source.path);
    const reference = await store.localPath(first.artifacts.train);

    const runs: Array<{ ingest: number; validate: number; floor: number }> = [];
    let last: StepOutputBody<'validate'> | undefined;
    for (let i = 0; i < rounds; i++) {
      const floor = await bareDuckDbFloor(source, reference);
      let t = performance.now();
      const ingested = await ingestSnapshot(deps, ingestParams, `ingest-${i}`);
      const ingest = performance.now() - t;
      t = performance.now();
      last = await validateSnapshots(deps, request(`round-${i}`, ingested), validateParams);
      runs.push({ ingest, validate: performance.now() - t, floor });
    }

    const rows = Number(first.summary.trainRows) + Number(first.summary.holdoutRows);
    const s = last!.summary as { checks: number; warnings: number; failed: number; drift: { columns: string[] }; poisoning?: { basis: string }; timingsMs?: Record<string, number>; notes?: string[] };
    console.log(`ingest + validate of ${rows} flights (reference: champion training data, ${first.summary.trainRows} rows), ${THREADS} DuckDB threads, ${rounds} rounds`);
    console.log(`validation: ${s.checks} checks, ${s.warnings} warnings, label consistency basis: ${s.poisoning?.basis ?? 'none'}, drifted columns: ${s.drift.columns.join(', ') || 'none'}`);
    console.log(`last round inside validate: ${JSON.stringify(s.timingsMs)} ms; ${(s.notes ?? []).join('; ')}`);
    console.log(`rss after the rounds: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
    console.log('round   ingest   validate      total      floor   total/floor   validate/floor');
    runs.forEach((r, i) =>
      console.log(`${String(i + 1).padStart(5)} ${seconds(r.ingest).padStart(8)} ${seconds(r.validate).padStart(10)} ${seconds(r.ingest + r.validate).padStart(10)} ${seconds(r.floor).padStart(10)} ${`${((r.ingest + r.validate) / r.floor).toFixed(2)}x`.padStart(13)} ${`${(r.validate / r.floor).toFixed(2)}x`.padStart(16)}`),
    );
    const total = median(runs.map((r) => r.ingest + r.validate));
    const floor = median(runs.map((r) => r.floor));
    console.log(`\nmedian  ingest ${seconds(median(runs.map((r) => r.ingest)))}, validate ${seconds(median(runs.map((r) => r.validate)))}`);
    console.log(`median  ingest + validate ${seconds(total)}   (target <= 5 s)`);
    // Ratios per round: floor and pipeline ran back to back, so they saw the same machine load.
    const ratio = median(runs.map((r) => (r.ingest + r.validate) / r.floor));
    console.log(`median  bare DuckDB floor  ${seconds(floor)}   ingest + validate / floor ${ratio.toFixed(2)}x (median of rounds)   (target <= 3x)`);
    console.log(`median  validate / floor  ${median(runs.map((r) => r.validate / r.floor)).toFixed(2)}x`);
    console.log(`load average during the run: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
