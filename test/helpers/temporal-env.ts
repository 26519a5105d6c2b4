/** A real Temporal dev server per test file, from the CLI binary global-setup found or built. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { createLogger, installTemporalLogger } from '../../src/logger';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';

/** @param ui serve the Web UI on this port (off by default: tests rarely need it). */
export async function startDevServer(ui?: { ui: true; uiPort: number }): Promise<TestWorkflowEnvironment> {
  // SDK logs go through pino at warn level, so test output shows problems, not chatter.
  installTemporalLogger(createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'error'));
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalCli') },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      ...ui,
    },
  });
}
