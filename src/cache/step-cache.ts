/**
 * Step outputs by content key. The key is a digest of everything a step's output depends on
 * (src/cache/cache-key.ts), so any run of any pipeline that would compute the same output can
 * reuse it instead: an identical re-run, a resumed failed run, an unchanged candidate next to a
 * changed one.
 */
import type { RecordedStepOutput } from '../pipeline/types';

/** One cached step output and where it came from. */
export interface CacheEntry {
  /** The content key it is stored under (hex sha256). */
  key: string;
  /** Step kind that produced it, for people reading the store. */
  kind: string;
  /** The output as the producing step returned it: artifact refs and summary. */
  output: RecordedStepOutput;
  /** The step run that produced it; `at` is an ISO timestamp. */
  producedBy: { workflowId: string; runId: string; stepId: string; at: string };
}

export interface StepCache {
  /** The entry stored under `key`, if any. Its artifacts may since have been deleted: callers verify them. */
  get(key: string): Promise<CacheEntry | undefined>;
  /** Stores `entry` under `entry.key`, atomically replacing an older entry with that key. */
  put(entry: CacheEntry): Promise<void>;
}
