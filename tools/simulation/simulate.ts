/**
 * `npm run simulate`: the week-by-week simulation on the real flights file, self-contained.
 * Starts an in-memory Temporal dev server and a Slipway worker over a fresh registry and
 * artifact store under `<data dir>/simulation/<stamp>` (so the demo's models are untouched),
 * runs the weekly continuous-training cycles (run-simulation.ts) and writes
 * the report to `<data dir>/reports/simulation-<stamp>/`.
 *
 *   npm run simulate -- [--weeks 8] [--start 2001-02-26] [--train-window "8 weeks"] [--margin 0.005] [--pooled-comparison] [--holdout-fraction 0.2] [--pipeline-gates] [--keep]
 *   npm run simulate -- --live [--live-flights 3000] [--max-auc-drop 0.02] [--min-labels 1000]
 *   npm run simulate -- --scenario concept-drift|tainted-week|traffic-drop [--scenario-week 3] [--hub ORD] [--drift-minutes 45] [--taint-fraction 0.3] [--canary-rate 20]
 *   npm run simulate -- --weeks 17 [--recency-half-life "2 weeks"] [--warm-start]   (the whole Jan–Jun 2001 span from 2001-02-26)
 *
 * `--live` also starts a model server process; promotions point it at the champion, each week
 * an even sample of the week's flights goes through it with labels as feedback, and the
 * checks retrain on the champion's live quality instead of on new rows.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Command, InvalidArgumentError } from 'commander';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import { HttpServingAdmin } from '../../src/serving/http-serving-admin';
import { loadConfig } from '../../src/config';
import { createLogger, installTemporalLogger } from '../../src/logger';
import { createRegistry } from '../../src/registry/create-registry';
import { spawnServer, stopServer, type ServerProcess } from '../../src/serving/server-process';
import { createWorker } from '../../src/worker';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';
import { reportDirFor, runSimulation, SIMULATION_COMPARISON, SIMULATION_GATES, SIMULATION_GATES_RELATIVE_LOSS } from './run-simulation';
import { renderMarkdown, writeReport } from '../../src/console/simulation-report';
import { describeScenario, scenarioFlights, scenarioFor, SCENARIO_NAMES } from './scenarios';


const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
};
/** The built-in trainer's own bound (builtin-trainer.ts), checked before a dev server starts. */
const epochs = (value: string) => {
  const n = positiveInt(value);
  if (n > 1000) throw new InvalidArgumentError('expected 1 to 1000 (the built-in trainer\'s limit)');
  return n;
};

async function main(argv: string[]): Promise<void> {
  const o = new Command('simulate')
    .description('Replay the flights file week by week on a virtual clock: weekly retrain → evaluate → promote, champion vs a frozen model')
    .option('--weeks <n>', 'weeks scored after the first training', positiveInt, 8)
    .option('--start <date>', 'replay clock of the first training (a Monday)', '2001-02-26')
    .option('--train-window <duration>', 'data each training sees, before its replay clock', '8 weeks')
    .option('--retrain-window <duration>', 'data each retrain after the first training sees (default: --train-window)')
    .option('--model <name>', 'model name to register under (kept apart from real models)', 'flight-delay-sim')
    .option('--pipeline <name>', 'pipeline of every retrain', 'flight-delay-builtin')
    .option('--pipeline-gates', "keep the pipeline's own evaluate gates instead of SIMULATION_GATES (run-simulation.ts)", false)
    .option('--margin <x>', 'champion/challenger gate: superiority by at least this much AUC (paired DeLong test, alpha 0.05)', Number, 0)
    .option('--live', 'send each week\'s flights through a model server and retrain on live quality', false)
    .option('--live-flights <n>', 'flights sent per week in live mode', positiveInt, 3000)
    .option('--max-auc-drop <x>', 'live mode: retrain when live AUC is this far below the champion\'s offline AUC', Number, 0.02)
    .option('--min-labels <n>', 'live mode: labels needed to judge live quality', positiveInt, 1000)
    .option('--canary', 'live mode with pipeline flight-delay-canary: each retrain is canaried on the following week\'s flights before promotion', false)
    .option('--scenario <name>', `what the world does to the data: ${SCENARIO_NAMES.join(', ')} (tools/simulation/scenarios.ts)`, 'calm')
    .option('--scenario-week <n>', 'concept-drift / tainted-week: the simulated week the change or the taint starts in', positiveInt, 3)
    .option('--hub <code>', 'concept-drift: the origin airport whose departures get later', 'ORD')
    .option('--drift-minutes <n>', 'concept-drift: minutes added to that hub\'s delays', Number, 45)
    .option('--taint-fraction <x>', 'tainted-week: share of the delayed flights relabelled on time', Number, 0.3)
    .option('--canary-rate <n>', 'traffic-drop: canary traffic in requests per second', Number, 20)
    .option('--holdout-fraction <x>', "share of each retrain's window held out, newest rows (the pipeline's ingest split.holdoutFraction, 0.2)", Number)
    .option('--pooled-comparison', 'judge the candidate against the champion over all holdout rows at once instead of within each day (SIMULATION_COMPARISON)', false)
    .option('--relative-loss-gate', 'log-loss gate relative to the champion (at most 0.01 worse) instead of logLoss <= 0.6', false)
    .option('--recency-half-life <duration>', 'retrains weigh each row 0.5^(age / half-life) (train params.recencyHalfLife), e.g. "2 weeks"')
    .option('--warm-start', 'retrains start from the champion\'s weights (train params.warmStart)', false)
    .option('--anchor <x>', 'retrains start from the champion\'s weights and a penalty of this weight pulls toward them (train params.warmStart + anchor)', Number)
    .option('--epochs <n>', "every training's epochs, 1 to 1000 (train params.epochs; the pipeline's own otherwise)", epochs)
    .option('--incremental', 'a retrain with a champion trains on the rows since the champion\'s data window only (its replay window shrinks; the first training keeps --train-window)', false)
    .option('--hindsight <mode>', "concept-drift: the hindsight model is trained on the whole new regime ('in-sample', scored on rows it trained on) or once per week without that week ('leave-week-out')", 'in-sample')
    .option('--keep', 'keep the simulation\'s registry, artifacts and step records', false)
    .parse(argv)
    .opts<{ weeks: number; start: string; trainWindow: string; model: string; pipeline: string; pipelineGates: boolean; margin: number; keep: boolean; live: boolean; liveFlights: number; maxAucDrop: number; minLabels: number; canary: boolean; scenario: string; scenarioWeek: number; hub: string; driftMinutes: number; taintFraction: number; canaryRate: number; relativeLossGate: boolean; pooledComparison: boolean; holdoutFraction?: number; recencyHalfLife?: string; warmStart: boolean; hindsight: string; anchor?: number; epochs?: number; incremental: boolean; retrainWindow?: string }>();
  if (o.hindsight !== 'in-sample' && o.hindsight !== 'leave-week-out') throw new Error(`--hindsight ${JSON.stringify(o.hindsight)}: use in-sample or leave-week-out`);
  const gates = o.relativeLossGate ? SIMULATION_GATES_RELATIVE_LOSS : SIMULATION_GATES;
  const scenario = scenarioFor(o.scenario, { start: o.start, week: o.scenarioWeek, hub: o.hub, driftMinutes: o.driftMinutes, taintFraction: o.taintFraction, rate: o.canaryRate });
  if (scenario.name === 'traffic-drop') o.canary = true;
  if (o.canary) {
    o.live = true;
    if (o.pipeline === 'flight-delay-builtin') o.pipeline = 'flight-delay-canary';
  }

  const base = loadConfig();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const worldDir = path.join(base.dataDir, 'simulation', stamp);
  const world = { SLIPWAY_DATA_DIR: worldDir, SLIPWAY_REGISTRY_PATH: path.join(worldDir, 'registry.sqlite'), SLIPWAY_ARTIFACT_ROOT: path.join(worldDir, 'artifacts') };
  const adminToken = randomBytes(32).toString('hex');
  const labelerToken = randomBytes(32).toString('hex');
  let server: ServerProcess | undefined;
  if (o.live) {
    server = await spawnServer({ ...world, SLIPWAY_SERVE_ADMIN_TOKEN: adminToken, SLIPWAY_SERVE_LABELER_TOKEN: labelerToken, SLIPWAY_SERVE_STATE_PATH: path.join(worldDir, 'serving', 'deployments.json') });
    console.log(`Model server listening on ${server.base}`);
  }
  try {
    const config = loadConfig({
      ...process.env,
      ...world,
      SLIPWAY_REGISTRY_URL: undefined,
      SLIPWAY_SERVE_URL: server?.base,
      SLIPWAY_SERVE_ADMIN_TOKEN: server ? adminToken : undefined,
      SLIPWAY_TASK_QUEUE: `simulation-${stamp}`,
      // Its own throwaway world, like the local dev setup: unsigned runs act as the admin dev:local.
      SLIPWAY_DEV_PRINCIPAL: process.env.SLIPWAY_DEV_PRINCIPAL || 'local',
      SLIPWAY_LOG_LEVEL: process.env.SLIPWAY_LOG_LEVEL ?? 'warn',
    });
    const logger = createLogger(config.logLevel);
    installTemporalLogger(logger);

    const cli = execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'temporal-cli.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
    console.log(`Starting an in-memory Temporal dev server and a worker (data in ${worldDir})`);
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: cli }, searchAttributes: SEARCH_ATTRIBUTE_KEYS } });
    const { worker, close } = await createWorker(config, env.nativeConnection, logger);
    const running = worker.run();
    const registry = await createRegistry(config);
    try {
      console.log(`Simulating ${o.weeks} weeks from ${o.start}, each training on the ${o.trainWindow} before its clock (pipeline ${o.pipeline}, model ${o.model})`);
      console.log(`Scenario ${describeScenario(scenario)}`);
      // Written under the worker's data root (<data dir>/sources), where the ingest step may read it.
      const flights = await scenarioFlights(scenario, config.dataRoots.roots[0]);
      const changedFrom = scenario.name === 'concept-drift' ? scenario.driftFrom : scenario.name === 'tainted-week' ? scenario.taintFrom : undefined;
      // A sequential hold long enough for the low rate: the step waits for its sample instead of timing out.
      const hold = scenario.name === 'traffic-drop' ? { hold: { maxDuration: '5 minutes' } } : {};
      const rate = scenario.name === 'traffic-drop' ? scenario.rate : 200;
      // Deep-merged into the pipeline's own train params (its seed stays, and its epochs unless --epochs).
      const train =
        o.recencyHalfLife !== undefined || o.warmStart || o.anchor !== undefined || o.epochs !== undefined
          ? {
              ...(o.epochs !== undefined && { epochs: o.epochs }),
              ...(o.recencyHalfLife !== undefined && { recencyHalfLife: o.recencyHalfLife }),
              ...((o.warmStart || o.anchor !== undefined) && { warmStart: true }),
              ...(o.anchor !== undefined && { anchor: o.anchor }),
            }
          : undefined;
      if (train) console.log(`Retrains: ${JSON.stringify(train)}`);
      const report = await runSimulation({
        // Unaltered: the pipeline's own `package:` source (an absolute path into node_modules lies outside the data roots).
        ...(flights.altered > 0 && { source: flights.path }),
        ...(scenario.name === 'concept-drift' && { hindsight: { from: scenario.driftFrom, leaveWeekOut: o.hindsight === 'leave-week-out' } }),
        client: env.client,
        taskQueue: config.taskQueue,
        registry,
        store: new LocalArtifactStore({ root: config.artifactRoot }),
        runId: `sim-${stamp}`,
        scratchDir: path.join(worldDir, 'weeks'),
        model: o.model,
        pipeline: o.pipeline,
        start: o.start,
        weeks: o.weeks,
        trainWindow: o.trainWindow,
        ...(o.retrainWindow && { retrainWindow: o.retrainWindow }),
        incremental: o.incremental,
        overrides: {
          ...(!o.pipelineGates && {
            evaluate: {
              gates,
              comparison: { ...(!o.pooledComparison && SIMULATION_COMPARISON), ...(o.margin > 0 && !o.canary && { test: 'superiority', margin: o.margin }) },
            },
          }),
          ...(train && { train: { params: train } }),
          ...(o.holdoutFraction !== undefined && { ingest: { split: { holdoutFraction: o.holdoutFraction } } }),
          ...(o.canary && { canary: { steps: [25, 100], interval: '4s', analysis: { minRequests: 50, minLabels: 100 }, decisionTimeout: '2 minutes', ...hold } }),
        },
        ...(o.canary && { canaryTraffic: { rate } }),
        ...(server && {
          live: {
            admin: new HttpServingAdmin(server.base, adminToken),
            labelerToken,
            flightsPerWeek: o.liveFlights,
            policy: { maxAucDrop: o.maxAucDrop, minLabels: o.minLabels },
          },
        }),
        log: (line) => console.log(`  ${line}`),
      });
      report.scenario = { name: scenario.name, description: describeScenario(scenario), alteredRows: flights.altered, ...(changedFrom && { from: changedFrom }) };
      const files = await writeReport(reportDirFor(base.dataDir, stamp), report);
      console.log(`\n${renderMarkdown(report)}`);
      console.log(`Report: ${files.html}\n        ${files.markdown}\n        ${files.svg}\n        ${files.json}`);
    } finally {
      await registry.close();
      worker.shutdown();
      await running;
      await close();
      await env.teardown();
    }
  } finally {
    // The model server is a child process: it must not outlive a failed start either.
    if (server) await stopServer(server);
    if (!o.keep) await rm(worldDir, { recursive: true, force: true });
  }
}

main(process.argv).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
