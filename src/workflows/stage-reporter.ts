/**
 * How a pipeline run tells the Temporal UI and list queries where it is. Runs started since the
 * `slipway-lean-run` patch keep the `SlipwayStage` search attribute to the run's lifecycle
 * (`running`, `awaiting-approval`, `canary`, `completed`, `failed`) and show the steps in
 * progress as the UI's current details, which cost no history: every upsert is a history
 * event, a visibility write, and a billed action on Temporal Cloud, and a no-op step would
 * otherwise pay one per step. Runs recorded before the patch upserted the step id per step and
 * must keep doing so on replay.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { modelKey, outcomeKey, pipelineKey, stageKey } from './search-attributes';

/** Lifecycle stages the `SlipwayStage` search attribute takes in lean runs. */
export type LifecycleStage = 'running' | 'awaiting-approval' | 'canary' | 'completed' | 'failed';

export class StageReporter {
  constructor(private readonly lean: boolean) {}

  /** Once the spec is known: model and pipeline (and, in lean runs, `running`) in one upsert. */
  resolved(model: string, pipeline: string): void {
    upsertSearchAttributes([
      { key: modelKey, value: model },
      { key: pipelineKey, value: pipeline },
      ...(this.lean ? [{ key: stageKey, value: 'running' }] : []),
    ]);
  }

  /** A step starts; `running` lists every step in progress, for the UI's current details. */
  stepStarted(stepId: string, running: readonly string[]): void {
    if (this.lean) setCurrentDetails(`running: ${running.join(', ')}`);
    else upsertSearchAttributes([{ key: stageKey, value: stepId }]);
  }

  /** The run enters a long wait (a human decision, a canary) or leaves it. */
  lifecycle(stage: 'awaiting-approval' | 'canary' | 'running'): void {
    // Before the patch only the approval wait was reported, and nothing marked its end.
    if (this.lean || stage === 'awaiting-approval') upsertSearchAttributes([{ key: stageKey, value: stage }]);
  }

  finished(stage: 'completed' | 'failed', outcome: string): void {
    setCurrentDetails(`${stage}: ${outcome}`);
    upsertSearchAttributes([
      { key: stageKey, value: stage },
      { key: outcomeKey, value: outcome },
    ]);
  }
}
