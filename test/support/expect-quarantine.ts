/**
 * The shared check of the tainted-data e2e files: a pipeline run whose batch must stop at validation
 * fails with DataValidationFailed, trains and registers nothing, leaves the champion where it was,
 * and leaves its batch quarantined (undecided) under its workflow.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import type { Governance } from '../../src/registry/create-registry';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineStatus } from '../../src/workflows/pipeline-status';

/** What {@link runExpectingQuarantine} found: the run's failure and the quarantined batch's digest. */
export interface Quarantined {
  failure: ApplicationFailure;
  dataDigest: string;
}

/**
 * Starts a run of `model` with `start` (called after the registry's state is noted) and asserts it was
 * stopped at validation and quarantined, with nothing else changed.
 */
export async function runExpectingQuarantine(governance: Governance, model: string, start: () => Promise<WorkflowHandle>): Promise<Quarantined> {
  const before = await governance.registry.listVersions(model);
  const champion = (await governance.registry.getAlias(model, 'champion'))?.version;
  const handle = await start();
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(failure.type).toBe('DataValidationFailed');
  const status: PipelineStatus = await handle.query(statusQuery);
  expect(status.steps.find((s) => s.id === 'train')?.state).toBe('skipped');
  expect(await governance.registry.listVersions(model)).toEqual(before);
  expect((await governance.registry.getAlias(model, 'champion'))?.version).toBe(champion);
  const details = failure.details?.[0] as { quarantine: { dataDigest: string; state: string } };
  expect(details.quarantine.state).toBe('quarantined');
  expect(await governance.quarantine.get(model, details.quarantine.dataDigest)).toMatchObject({ state: 'quarantined', workflowId: handle.workflowId, decision: null });
  return { failure, dataDigest: details.quarantine.dataDigest };
}
