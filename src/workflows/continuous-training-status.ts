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
}

export interface RetrainDecision {
  at: string;
  retrain: boolean;
  reasons: string[];
  championVersion: number | null;
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
