/** Shapes of the continuous-training workflow's input, status and decisions. Types only. */

export interface ContinuousTrainingInput {
  model: string;
  /** The pipeline each retrain runs, e.g. `flight-delay`. */
  pipeline: string;
  overrides?: Record<string, Record<string, unknown>>;
  /** How often the triggers are checked (ms-format duration). @default '1 hour' */
  checkEvery?: string;
  policy?: RetrainPolicy;
  /** Stop after this many checks (simulations and tests); unbounded when absent. */
  maxChecks?: number;
  /** Carried across continue-as-new. */
  history?: RetrainDecision[];
  checksDone?: number;
}

export interface RetrainPolicy {
  /** Retrain when the champion is older than this (ms-format duration). */
  maxModelAge?: string;
  /** Retrain when at least this many rows arrived after the champion's data window. @default 1000 */
  minNewRows?: number;
  /**
   * Probe the newest data for drift when no other trigger fired: a child pipeline of just the
   * ingest and validate steps; drift detected against the champion's training data triggers a retrain.
   * @default false
   */
  onDrift?: boolean;
  /** Retrain when the champion's quality on labelled live traffic (the model server's feedback) falls below a limit. */
  onLiveQuality?: LiveQualityPolicy;
  /**
   * A retrain reads only the rows after the champion's data window (the ingest window starts where
   * the champion's ended), so with the train step's `warmStart` and `anchor` each candidate is the
   * champion updated by the newest rows rather than a fit of the whole window again. Needs the
   * ingest's timeColumn and a champion that records its data window; otherwise, and when no row
   * is newer, the pipeline's own window. @default false
   */
  incremental?: boolean;
}

/**
 * Live-quality trigger: the champion's live quality for its task (binary: AUC, accuracy;
 * multiclass: accuracy, log loss; regression: RMSE, MAE) over the model server's feedback of the
 * last `windowSeconds`. At least one threshold is required; with fewer than `minLabels` labels
 * nothing is judged (recorded as such, never a retrain).
 */
export interface LiveQualityPolicy {
  /** Retrain when live AUC is below this. */
  minAuc?: number;
  /** Retrain when live AUC is more than this below the champion's offline (evaluation) AUC. */
  maxAucDrop?: number;
  /** Retrain when live accuracy is below this (binary and multiclass). */
  minAccuracy?: number;
  /** Multiclass: retrain when live log loss is above this. */
  maxLogLoss?: number;
  /** Regression: retrain when live RMSE is above this (in the target's unit). */
  maxRmse?: number;
  /** Regression: retrain when live MAE is above this (in the target's unit). */
  maxMae?: number;
  /** Labels needed before live quality is judged. */
  minLabels: number;
  /** Feedback of predictions made in this many seconds before the check. */
  windowSeconds: number;
}

/** What the live-quality trigger saw, with the figures it judged. */
export interface LiveQualityCheck {
  version: number;
  /** `below`: a threshold failed (a retrain); `too-few-labels` and `unavailable` are never a retrain. */
  verdict: 'ok' | 'below' | 'too-few-labels' | 'unavailable';
  fired: boolean;
  labels: number;
  auc: number | null;
  accuracy: number | null;
  /** The champion's task, when known (the thresholds were checked against it). */
  task?: 'binary' | 'multiclass' | 'regression';
  /** Multiclass: live log loss. */
  logLoss?: number | null;
  /** Regression: live RMSE and MAE. */
  rmse?: number | null;
  mae?: number | null;
  minLabels: number;
  windowSeconds: number;
  /** The same in words, as it appears in the decision's reasons. */
  line: string;
}

export interface RetrainAssessment {
  retrain: boolean;
  /** Why (or why not): one line per trigger checked. */
  reasons: string[];
  championVersion: number | null;
  /** Overrides for the retrain run, e.g. a window that ends at the newest data. */
  overrides?: Record<string, Record<string, unknown>>;
  /** An inline spec with only the ingest and validate steps, to run as a drift probe. */
  probe?: { spec: Record<string, unknown>; validateStep: string };
  /** Present when the policy has `onLiveQuality` and there is a champion. */
  liveQuality?: LiveQualityCheck;
}

/** One column's drift test as the probe's validation ran it. */
export interface DriftColumnEvidence {
  column: string;
  /** `ks`, `chisquare` (p-values), `wasserstein`, `jensenshannon`, `psi` (distances). */
  method: string;
  /** The p-value or distance. */
  statistic: number;
  threshold: number;
  /** `below`: drift when the statistic is below the threshold (tests); `at-or-above`: distances. */
  direction: string;
  drifted: boolean;
}

/** What the drift probe saw: its run, the verdict and the figures behind it. */
export interface DriftEvidence {
  /** The probe's pipeline run (a child workflow), whose validation report holds the full drift table. */
  probeWorkflowId: string;
  detected: boolean;
  /** Share of the checked columns that drifted. */
  share: number | null;
  /** Dataset drift when `share` is at least this. */
  maxDriftedFraction: number | null;
  columns: DriftColumnEvidence[];
}

export interface RetrainDecision {
  at: string;
  retrain: boolean;
  reasons: string[];
  championVersion: number | null;
  /** The live-quality figures of this check, when the policy watches live quality. */
  liveQuality?: LiveQualityCheck;
  /** The drift probe's figures, when the policy has `onDrift` and the probe ran (absent when it failed). */
  drift?: DriftEvidence;
  workflowId?: string;
  outcome?: string;
  error?: string;
}

export interface ContinuousTrainingStatus {
  model: string;
  checksDone: number;
  running?: string;
  decisions: RetrainDecision[];
}
