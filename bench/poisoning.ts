/**
 * Calibration of the tainted-data checks on the real 2001 flights, through the real ingest and
 * validate activities with the defaults of pipelines/flight-delay.yaml:
 *
 * - false alarms: every week of Jan–Jun 2001 validated against a champion (the built-in
 *   logistic regression) trained on the four weeks before it; how many clean weeks are stopped;
 * - detection: poisoned copies of target weeks at several strengths (positives relabelled
 *   globally; positives relabelled within the week's busiest origin airport; a trigger distance
 *   on a share of rows, all labelled on time; duplicated rows), and which checks stop each.
 *
 * Usage: npm run bench:poisoning [-- --weeks 26 --targets 6,12,19 --epochs 2]
 */
import { SOURCE_LIMIT_DEFAULTS } from '../src/data/data-roots';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ingestSnapshot } from '../src/activities/ingest';
import { validateSnapshots } from '../src/activities/validate';
import { LocalArtifactStore } from '../src/artifacts/local-artifact-store';
import { queryRows, sqlString, withDuckDb } from '../src/data/duckdb';
import { resolveSourcePath } from '../src/data/source-path';
import { isSlipwayError } from '../src/errors';
import { ingestParamsSchema, validateParamsSchema, type IngestParams, type ValidateParams } from '../src/pipeline/step-params';
import type { StepOutputBody, StepRequest } from '../src/pipeline/types';
import { SqliteModelRegistry } from '../src/registry/sqlite-registry';
import { runBuiltinTrainer } from '../src/training/builtin-trainer';
import type { PoisoningSummary } from '../src/validation/poisoning-checks';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const WEEKS = Number(arg('weeks', '26'));
const TARGETS = arg('targets', '6,12,19').split(',').filter(Boolean).map(Number);
const EPOCHS = Number(arg('epochs', '2'));
const FLIGHTS = resolveSourcePath('package:vega-datasets/data/flights-3m.parquet');
const DAY = 86_400_000;
const weekStart = (i: number) => new Date(Date.UTC(2001, 0, 1) + i * 7 * DAY).toISOString().slice(0, 10);
const TRIGGER_DISTANCE = 4321;
const DICE = `(hash(date, origin, destination, delay, distance) % 10000) / 10000.0`;

/** A second, independent die: which on-time value a plausible relabelling writes. */
const DICE2 = `CAST(hash(distance, date, delay) % 26 AS BIGINT)`;

type Kind = 'globalFlip' | 'sliceFlip' | 'globalFlipPlausible' | 'sliceFlipPlausible' | 'globalFlipAway' | 'trigger' | 'duplicates';
const STRENGTHS: Record<Kind, number[]> = {
  globalFlip: [0.05, 0.1, 0.3, 0.5, 0.7],
  sliceFlip: [0.2, 0.3, 0.5, 0.8, 1],
  globalFlipPlausible: [0.1, 0.3, 0.5, 0.7],
  sliceFlipPlausible: [0.3, 0.5, 0.8, 1],
  globalFlipAway: [0.1, 0.2, 0.3, 0.5],
  trigger: [0.001, 0.002, 0.005, 0.01],
  duplicates: [0.01, 0.02, 0.05, 0.1],
};
const DESCRIBE: Record<Kind, string> = {
  globalFlip: 'share of positives relabelled 0, whole batch (delay set to 0)',
  sliceFlip: 'share of positives relabelled 0 in the busiest origin (delay set to 0)',
  globalFlipPlausible: 'share of positives relabelled 0, whole batch (delay set to a spread of on-time values, -10..15)',
  sliceFlipPlausible: 'share of positives relabelled 0 in the busiest origin (delay set to a spread of on-time values)',
  globalFlipAway: 'share of positives relabelled 0, whole batch (delay set to a spread of -10..5, away from the threshold)',
  trigger: `share of rows with distance ${TRIGGER_DISTANCE} and label 0`,
  duplicates: 'share of rows that are copies',
};

function poisonSql(kind: Kind, s: number, from: string, to: string, origin: string): string {
  const rows = `FROM read_parquet(${sqlString(FLIGHTS)}) WHERE date >= TIMESTAMP ${sqlString(from)} AND date < TIMESTAMP ${sqlString(to)}`;
  switch (kind) {
    case 'globalFlip':
      return `SELECT date, CASE WHEN delay > 15 AND ${DICE} < ${s} THEN 0 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'sliceFlip':
      return `SELECT date, CASE WHEN origin = ${sqlString(origin)} AND delay > 15 AND ${DICE} < ${s} THEN 0 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'globalFlipPlausible':
      return `SELECT date, CASE WHEN delay > 15 AND ${DICE} < ${s} THEN ${DICE2} - 10 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'sliceFlipPlausible':
      return `SELECT date, CASE WHEN origin = ${sqlString(origin)} AND delay > 15 AND ${DICE} < ${s} THEN ${DICE2} - 10 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'globalFlipAway':
      return `SELECT date, CASE WHEN delay > 15 AND ${DICE} < ${s} THEN (${DICE2} % 16) - 10 ELSE delay END AS delay, distance, origin, destination ${rows}`;
    case 'trigger':
      return `SELECT date, CASE WHEN ${DICE} < ${s} THEN 0 ELSE delay END AS delay, CASE WHEN ${DICE} < ${s} THEN ${TRIGGER_DISTANCE} ELSE distance END AS distance, origin, destination ${rows}`;
    case 'duplicates':
      return `SELECT date, delay, distance, origin, destination ${rows} UNION ALL SELECT date, delay, distance, origin, destination ${rows} AND ${DICE} < ${s / (1 - s)}`;
  }
}

const minMax = (xs: Array<number | undefined>): string => {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? `${Math.min(...v).toFixed(3)} .. ${Math.max(...v).toFixed(3)}` : 'n/a';
};

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-poisoning-'));
  const store = new LocalArtifactStore({ root: path.join(dir, 'artifacts') });
  const registry = new SqliteModelRegistry({ path: path.join(dir, 'registry.sqlite') });
  // Poisoned windows are written under `dir`, the benchmark's only data root (package: sources are always readable).
  const deps = { store, registry, duckdbThreads: Number(process.env.SLIPWAY_DUCKDB_THREADS ?? 2), dataRoots: { roots: [dir], ...SOURCE_LIMIT_DEFAULTS } };
  try {
    const spec = parseYaml(await readFile(path.join(__dirname, '..', 'pipelines', 'flight-delay.yaml'), 'utf8'));
    const baseIngest: IngestParams = ingestParamsSchema.parse(spec.steps.find((s: { id: string }) => s.id === 'ingest').with);
    const validateParams: ValidateParams = validateParamsSchema.parse(spec.steps.find((s: { id: string }) => s.id === 'validate').with ?? {});
    const ingest = (from: string, to: string, file = baseIngest.source.path) =>
      ingestSnapshot(deps, { ...baseIngest, source: { ...baseIngest.source, path: file }, window: { from, to } }, 'ingest');
    const request = (model: string, id: string, ingested: StepOutputBody<'ingest'>): StepRequest => ({
      ctx: { workflowId: id, runId: id, stepId: 'validate', pipeline: 'flight-delay', model, specDigest: 'bench' },
      params: {},
      inputs: { ingest: { kind: 'ingest', ...ingested } },
    });
    const extremes: PoisoningSummary[] = [];
    /** Failed checks of a validation (empty: passed). */
    /** The whole batch's boundary ratio of the last judged batch, printed beside its verdict. */
    let lastBoundary: number | undefined;
    const judge = async (model: string, id: string, ingested: StepOutputBody<'ingest'>, clean = false): Promise<string[]> => {
      try {
        const out = await validateSnapshots(deps, request(model, id, ingested), validateParams);
        lastBoundary = (out.summary.poisoning as PoisoningSummary | undefined)?.boundaryRatio;
        if (clean) extremes.push(out.summary.poisoning as PoisoningSummary);
        return [];
      } catch (err) {
        if (!isSlipwayError(err)) throw err;
        lastBoundary = (err.details?.poisoning as PoisoningSummary | undefined)?.boundaryRatio;
        if (clean) extremes.push(err.details?.poisoning as PoisoningSummary);
        const failed = (err.details?.failed as Array<{ check: string }> | undefined) ?? [];
        if (process.env.BENCH_VERBOSE) console.log(err.message.split('\n').filter((l) => /labelConsistency|confident|trigger|labelSource/.test(l)).slice(0, 12).join('\n'));
        return [...new Set(failed.map((f) => f.check.replace(/[( ].*$/, '')))];
      }
    };
    const triggerTaken = await withDuckDb({}, async (c) => Number((await queryRows(c, `SELECT count(*) AS n FROM read_parquet(${sqlString(FLIGHTS)}) WHERE distance = ${TRIGGER_DISTANCE}`))[0].n));

    const clean: Array<{ week: string; rows: number; failed: string[] }> = [];
    const detection = Object.fromEntries(Object.keys(STRENGTHS).map((k) => [k, {}])) as Record<Kind, Record<number, number>>;
    const detectedBy: Record<string, Set<string>> = {};
    const started = performance.now();
    for (let i = 1; i < WEEKS; i++) {
      const model = `week-${i}`;
      const from = weekStart(i);
      const to = weekStart(i + 1) < '2001-07-01' ? weekStart(i + 1) : '2001-07-01';
      // The champion: the built-in model trained on (up to) the four weeks before.
      const champData = await ingest(weekStart(Math.max(0, i - 4)), from);
      const champValidation = await validateSnapshots(deps, request(model, `champion-${i}`, champData), validateParams);
      const trained = await runBuiltinTrainer({
        trainPath: await store.localPath(champData.artifacts.train),
        features: { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'], label: 'label' },
        params: { epochs: EPOCHS, seed: 7 },
        outputDir: path.join(dir, `model-${i}`),
      });
      const artifact = await store.put(trained.modelPath, { name: 'model', mediaType: 'application/onnx' });
      const version = await registry.registerVersion({
        model,
        idempotencyKey: `champion-${i}`,
        artifact,
        metrics: {},
        params: {},
        lineage: { dataDigest: String(champData.summary.dataDigest), specDigest: 'bench', workflowId: 'bench', runId: 'bench', pipeline: 'flight-delay', trainer: 'builtin', trainData: champData.artifacts.train, holdoutData: champData.artifacts.holdout, schema: champValidation.artifacts.schema },
      });
      await registry.setAlias({ model, alias: 'champion', version: version.version, expectedVersion: null, actor: 'bench', reason: 'calibration' });

      const week = await ingest(from, to);
      const failed = await judge(model, `clean-${i}`, week, true);
      clean.push({ week: from, rows: Number(week.summary.trainRows) + Number(week.summary.holdoutRows), failed });
      console.log(`week ${from}: ${failed.length ? `STOPPED by ${failed.join(', ')}` : 'passed'}, boundary ratio ${lastBoundary ?? 'n/a'}  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      if (!TARGETS.includes(i)) continue;

      const [{ origin, n }] = await withDuckDb({}, (c) => queryRows(c, `SELECT origin, count(*) AS n FROM read_parquet(${sqlString(FLIGHTS)}) WHERE date >= TIMESTAMP ${sqlString(from)} AND date < TIMESTAMP ${sqlString(to)} GROUP BY 1 ORDER BY 2 DESC LIMIT 1`));
      for (const kind of Object.keys(STRENGTHS) as Kind[]) {
        for (const s of STRENGTHS[kind]) {
          const file = path.join(dir, `${kind}-${i}-${s}.parquet`);
          await withDuckDb({}, (c) => c.run(`COPY (${poisonSql(kind, s, from, to, String(origin))}) TO ${sqlString(file)} (FORMAT parquet)`));
          const got = await judge(model, `${kind}-${i}-${s}`, await ingest(from, to, file));
          if (got.length) detection[kind][s] = (detection[kind][s] ?? 0) + 1;
          for (const c of got) (detectedBy[`${kind} ${s}`] ??= new Set()).add(c);
          console.log(`  ${kind} ${s}${kind.startsWith('sliceFlip') ? ` (origin ${origin}, ${n} rows)` : ''}: ${got.length ? `caught by ${got.join(', ')}` : 'missed'}, boundary ratio ${lastBoundary ?? 'n/a'}`);
        }
      }
    }

    // How close clean weeks came to each floor: the margins the defaults were chosen from.
    const slices = extremes.flatMap((e) => e?.extremeSlices ?? []).filter((x) => x.significant);
    const logs = slices.map((x) => Math.log(x.ratio)).sort((a, b) => a - b);
    console.log('\nClean weeks, most extreme values (floors must lie beyond them):');
    console.log(`  global observed/expected vs champion holdout: ${minMax(extremes.map((e) => e?.globalRatio))}`);
    console.log(`  confident disagreement ratio: ${minMax(extremes.map((e) => e?.confidentRatio))}`);
    console.log(`  significant slice ratios: ${logs.length ? `${Math.exp(logs[0]).toFixed(3)} .. ${Math.exp(logs[logs.length - 1]).toFixed(3)}` : 'none'}; largest |rate difference| ${Math.max(0, ...slices.map((x) => Math.abs(x.difference))).toFixed(3)}`);
    const worst = [...slices].sort((a, b) => Math.abs(Math.log(b.ratio)) - Math.abs(Math.log(a.ratio))).slice(0, 5);
    for (const w of worst) console.log(`    ${w.where}: ratio ${w.ratio}, difference ${w.difference}, ${w.rows} rows`);
    const trig = extremes.flatMap((e) => e?.extremeTriggers ?? []).sort((a, b) => b.purity - a.purity).slice(0, 5);
    const spikes = extremes.flatMap((e) => e?.extremeSourceSpikes ?? []);
    const worstSpike = (global: boolean) => [...spikes].filter((x) => x.where.includes(' where ') !== global && x.ratio >= 1.2).sort((a, b) => b.excess - a.excess)[0];
    for (const [name, w] of [['whole batch', worstSpike(true)], ['in a slice', worstSpike(false)]] as const) {
      console.log(`  label source value furthest above its expectation (ratio >= 1.2), ${name}: ${w ? `${w.where}, excess ${(w.excess * 100).toFixed(2)}% of ${w.rows} rows, ratio ${w.ratio.toFixed(3)}, significant ${w.significant}` : 'none'}`);
    }
    const bounds = extremes.flatMap((e) => e?.extremeBoundary ?? []);
    console.log(`  bands at the label's threshold, batch ÷ reference ratio: whole batch ${minMax(extremes.map((e) => e?.boundaryRatio))}; slices ${minMax(bounds.map((x) => x.ratio))}`);
    for (const w of [...bounds].sort((x, y) => Math.abs(Math.log(y.ratio)) - Math.abs(Math.log(x.ratio))).slice(0, 5)) {
      console.log(`    ${w.where}: ratio ${w.ratio}, ${w.rows} rows, significant ${w.significant}`);
    }
    console.log(`  purest over-represented values: ${trig.map((t) => `${t.where} (${t.rows} rows, lift ${t.lift.toFixed(1)}, purity ${t.purity.toFixed(3)})`).join('; ') || 'none'}`);
    const stopped = clean.filter((c) => c.failed.length);
    console.log(`\nClean weeks: ${clean.length}, stopped: ${stopped.length} (target: none)`);
    for (const c of stopped) console.log(`  ${c.week} (${c.rows} rows): ${c.failed.join(', ')}`);
    const byNew = stopped.filter((c) => c.failed.some((f) => ['labelConsistency', 'confidentDisagreement', 'triggerPatterns', 'labelSourceSpikes', 'labelSourceBoundary'].includes(f)));
    console.log(`  stopped by the tainted-data checks: ${byNew.length}`);
    console.log(`\nDetection over ${TARGETS.length} target weeks (${TARGETS.map(weekStart).join(', ')}); distance ${TRIGGER_DISTANCE} occurs ${triggerTaken} times in the whole source`);
    console.log('kind          strength   detected   checks          (what the strength is)');
    for (const kind of Object.keys(STRENGTHS) as Kind[]) {
      for (const s of STRENGTHS[kind]) {
        const d = detection[kind][s] ?? 0;
        console.log(`${kind.padEnd(13)} ${String(s).padStart(8)} ${`${d}/${TARGETS.length}`.padStart(10)}   ${[...(detectedBy[`${kind} ${s}`] ?? [])].join(', ').padEnd(40)} ${DESCRIBE[kind]}`);
      }
      const weakest = STRENGTHS[kind].find((s) => (detection[kind][s] ?? 0) === TARGETS.length);
      console.log(`${''.padEnd(13)} weakest strength caught in every target week: ${weakest ?? 'none tried'}`);
    }
    console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
