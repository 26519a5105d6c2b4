import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporal's native worker and DuckDB do not like sharing a thread; forks keep each file isolated.
    pool: 'forks',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
