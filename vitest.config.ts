import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `unit` (npm run test:unit, under a minute): schemas, DAG, metrics, analysis, policies,
 * and the workflows against mock activities on the time-skipping test server (test/workflows). `integration`: everything against real servers,
 * databases, data and trainers. `make test` (npx vitest run) runs both.
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

export default defineConfig({
  test: {
    // Temporal's native worker and DuckDB do not like sharing a thread; forks keep each file isolated.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, exclude: SRC_INTEGRATION } },
      { extends: true, test: { name: 'integration', include: [...SRC_INTEGRATION, 'test/**/*.test.ts'], exclude: ['test/workflows/**'] } },
    ],
  },
});
