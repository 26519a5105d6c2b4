/**
 * Finished step outputs by idempotency key. A retried activity (worker crash after the
 * work but before Temporal heard of it) finds its earlier output here instead of doing
 * the work, and so never creates a second artifact or registry version.
 */
import type { RecordedStepResult } from '../pipeline/types';

/** A finished step's output, with what the content cache did for it (records from before outputs carried their kind have none). */
export type RecordedStep = Omit<RecordedStepResult, 'attempt'>;

export interface StepRecords {
  /** The output recorded under `key`, if the step finished before. */
  get(key: string): Promise<RecordedStep | undefined>;
  /** Records a finished step's output; writing the same key again replaces it atomically. */
  put(key: string, output: RecordedStep): Promise<void>;
}
