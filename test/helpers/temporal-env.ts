/** Temporal servers for tests: the dev server (integration tier) and the time-skipping test server (workflow tier). */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { inject } from 'vitest';
import { createLogger, installTemporalLogger } from '../../src/logger';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';

/**
 * A real Temporal dev server per test file, from the CLI binary global-setup found or built.
 * @param ui serve the Web UI on this port (off by default: tests rarely need it).
 */
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

/**
 * Temporal's time-skipping test server (the Java one from Maven Central, scripts/temporal-test-server.sh)
 * per test file: timers fire as soon as nothing else is pending while a client waits for a result
 * or `env.sleep`s, so workflows run with their production durations in milliseconds.
 * It suggests continue-as-new at a fixed 4 Ki history events (the production default) and cannot be
 * told otherwise; Slipway's search attributes are registered through its operator service.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  // Core's own logs are forwarded to pino at error level: the test server does not advertise the
  // newer servers' capabilities, and core warns about that once per worker otherwise.
  installTemporalLogger(createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'error'), {
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((k) => [k.name, indexedValueType(k.type)])),
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** The operator service's name for a key type; Slipway's keys are all keywords today. */
function indexedValueType(type: SearchAttributeType): temporal.api.enums.v1.IndexedValueType {
  if (type === SearchAttributeType.KEYWORD) return temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  throw new Error(`search attribute type ${type}: add its IndexedValueType to startTimeSkippingServer`);
}
