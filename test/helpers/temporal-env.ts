/** A real Temporal dev server per test file, from the CLI binary global-setup found or built. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';

export async function startDevServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalCli') },
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
    },
  });
}
