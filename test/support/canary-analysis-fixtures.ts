/**
 * Inputs shared by the canary analysis unit tests (src/canary/analysis.test.ts, sequential-hold.test.ts): one
 * healthy version window and one step's analysis input, which each test adjusts with overrides so it states only
 * what it is about.
 */
import type { AnalysisInput, VersionWindow } from '../../src/canary/analysis';
import { canaryAnalysisSchema } from '../../src/pipeline/step-params';

export const thresholds = canaryAnalysisSchema.parse({ minRequests: 50, minLabels: 100 });

/** `n` scores over 20 buckets, the upper half three times as full as the lower. */
export const spread = (n: number) => Array.from({ length: 20 }, (_, i) => Math.round((n * (i < 10 ? 1 : 3)) / 40));

/** Version 1's window: 400 requests without errors, 300 labels, AUC 0.7. */
export function versionWindow(over: Partial<VersionWindow> = {}): VersionWindow {
  return { version: 1, requests: 400, errors: 0, errorRate: 0, p99Ms: 4, p90Ms: 3, p50Ms: 1, scoreCounts: spread(400), labels: 300, positives: 60, auc: 0.7, accuracy: 0.8, ...over };
}

/** A step at 25% (unless `over` says otherwise) whose step and cumulative windows are both `canary` (version 2) and `champion`. */
export function analysisInput(canary: Partial<VersionWindow>, champion: Partial<VersionWindow> = {}, over: Partial<AnalysisInput> = {}): AnalysisInput {
  const c = versionWindow({ version: 2, ...canary });
  const b = versionWindow(champion);
  return {
    measurement: { from: 'a', to: 'b', serverStartedAt: 's1', step: { champion: b, canary: c }, cumulative: { champion: b, canary: c } },
    thresholds,
    serverStartedAtStepStart: 's1',
    weight: 25,
    lastStep: false,
    ...over,
  };
}
