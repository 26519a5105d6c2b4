import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit` (npm run test:unit, under a minute: 36 s on 2 cores): schemas, DAG, metrics, analysis, policies,
 * and the workflows against mock activities on the time-skipping test server (test/workflows).
 * `integration` (npm run test:integration): everything against real servers, databases, data and
 * trainers, its clock-judged files (`timed`) in a group of their own. `make test` (npx vitest run) runs all.
 */
const UNIT = ['src/**/*.test.ts', 'tools/**/*.test.ts', 'test/workflows/**/*.test.ts'];
/** Tests under src/ that need a real database, object store or trainer process: integration tier. */
const SRC_INTEGRATION = [
  'src/registry/**/*.test.ts',
  'src/audit/audit-log.test.ts',
  'src/auth/access-control.test.ts',
  'src/artifacts/s3-artifact-store.test.ts',
  'src/artifacts/orphan-sweep.test.ts',
  'src/training/builtin-trainer.test.ts',
];

/**
 * Files whose decisions come from live traffic measured on the wall clock (canary holds, latency
 * guards, replayed weeks, a killed worker): a project in a sequence group of its own, so even a
 * project with more workers never runs its files beside them.
 */
const TIMED = [
  'test/serving/canary.test.ts',
  'test/serving/canary-hold.workflow.test.ts',
  'test/serving/canary-shadow.e2e.test.ts',
  'test/serving/canary-calibration.e2e.test.ts',
  'test/serving/pipeline-canary.e2e.test.ts',
  'test/import/import-pipeline.e2e.test.ts',
  'test/console/console.e2e.test.ts',
  'test/tasks/task-canary.e2e.test.ts',
  'test/topology/worker-failover.e2e.test.ts',
  'test/simulation/simulation.test.ts',
  'test/triggers/continuous-training.test.ts',
  'test/triggers/served-drift.e2e.test.ts',
];

export default defineConfig({
  test: {
    // Temporal's native worker and DuckDB do not like sharing a thread; forks keep each file isolated.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    // One file at a time: on this machine's and CI's 2 cores two files at once took longer in all (the
    // sum of file times doubled: the servers, DuckDB and trainers are CPU-bound), and clock-judged tests suffered.
    maxWorkers: 1,
    projects: [
      // Unit files need no servers and are mostly start-up: one shared context (no per-file module
      // re-import) and both cores took `npm run test:unit` from 103 s to 36 s. First, alone in its group,
      // so its two workers never run beside an integration or clock-judged file.
      { extends: true, test: { name: 'unit', include: UNIT, exclude: SRC_INTEGRATION, isolate: false, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: [...SRC_INTEGRATION, 'test/**/*.test.ts'], exclude: ['test/workflows/**', ...TIMED], sequence: { groupOrder: 1 } } },
      // The files whose verdicts come from live traffic on the clock, in a group of their own.
      { extends: true, test: { name: 'timed', include: TIMED, sequence: { groupOrder: 2 } } },
    ],
  },
});
