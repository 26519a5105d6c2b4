/**
 * The state of one canary: its input, every traffic step with its measurement, analysis
 * and decision, and the verdict. Deterministic (times come from the workflow); the
 * `status` query and the canary report are snapshots of it. No zod here: the workflow bundle
 * imports this module (the input schema is in canary-input.ts, run by an activity).
 */
import type { CanaryParams } from '../pipeline/step-params';
import type { Baseline, StepAnalysis, StepMeasurement } from './analysis';
import type { ParsedCanaryInput } from './canary-input';
import type { HoldPlan } from './sequential-hold';
import type { CanarySummary } from '../pipeline/step-summaries';

/** A canary's summary while it runs or when it ended (the report's URI is added when it is written). */
export type CanaryRunSummary = Required<Omit<CanarySummary, 'report'>>;

export type { CanaryInput, ParsedCanaryInput } from './canary-input';

/** `passed`: every step passed (or was approved); the pipeline's promote step may move the alias. */
export type CanaryVerdict = 'passed' | 'rolled-back' | 'aborted' | 'skipped';

export type CanaryStage = 'starting' | 'shifting-traffic' | 'holding' | 'analysing' | 'awaiting-decision' | 'rolling-back' | 'done';

export interface CanaryDecision {
  decision: 'approved' | 'rejected';
  by: string;
  reason: string;
  at: string;
}

export interface CanaryStepRecord {
  /** 1-based; 0 for the shadow phase. */
  step: number;
  /** `shadow`: the phase before the first traffic step, the candidate at weight 0 scoring mirrored requests. Absent: a traffic step. */
  phase?: 'shadow';
  /** Canary traffic share, percent. */
  weight: number;
  startedAt: string;
  /** When the hold ends and the analysis runs. */
  holdUntil: string;
  /** Start of the server process that took the step's traffic. */
  serverStartedAt: string;
  measurement?: StepMeasurement;
  /** Why no measurement exists (server unreachable). */
  measurementError?: string;
  analysis?: StepAnalysis;
  /** A human decision on an inconclusive analysis (or its timeout default). */
  decision?: CanaryDecision;
  /** A sequential hold: analyses taken so far, time held, and the plan (`analysis` is the latest look's). */
  hold?: { looks: number; elapsedMs: number; intervalMs: number; minMs: number; maxMs: number; alpha: number };
}

export interface CanaryStatus {
  model: string;
  candidate: number;
  champion: number | null;
  stage: CanaryStage;
  /** Canary share now in force on the server, percent. */
  weight: number;
  params: CanaryParams;
  origin?: ParsedCanaryInput['origin'];
  startedAt: string;
  steps: CanaryStepRecord[];
  /** The champion figures the checks compare with. */
  baseline?: Baseline;
  verdict?: CanaryVerdict;
  reasons: string[];
  endedAt?: string;
}

/** The canary report artifact: the final status. */
export type CanaryReport = CanaryStatus & { verdict: CanaryVerdict; endedAt: string };

export class CanaryState {
  private stage: CanaryStage = 'shifting-traffic';
  private weight = 0;
  private readonly steps: CanaryStepRecord[] = [];
  private verdictValue?: CanaryVerdict;
  private reasons: string[] = [];
  private endedAt?: string;
  baseline?: Baseline;

  constructor(
    readonly input: ParsedCanaryInput,
    readonly startedAtMs: number,
  ) {}

  get current(): CanaryStepRecord | undefined {
    return this.steps.at(-1);
  }

  get verdict(): CanaryVerdict | undefined {
    return this.verdictValue;
  }

  setStage(stage: CanaryStage): void {
    this.stage = stage;
  }

  /** @param shadow the shadow phase (step 0, weight 0) rather than a traffic step */
  beginStep(weight: number, now: number, holdMs: number, serverStartedAt: string, shadow = false): void {
    this.weight = weight;
    this.stage = 'holding';
    const step = shadow ? 0 : this.steps.filter((s) => s.phase !== 'shadow').length + 1;
    this.steps.push({ step, ...(shadow && { phase: 'shadow' as const }), weight, startedAt: iso(now), holdUntil: iso(now + holdMs), serverStartedAt });
  }

  recordAnalysis(measurement: StepMeasurement | undefined, analysis: StepAnalysis, measurementError?: string, baseline?: Baseline): void {
    const step = this.current;
    if (!step) return;
    Object.assign(step, { analysis, ...(measurement && { measurement }), ...(measurementError && { measurementError }) });
    if (baseline) this.baseline = baseline;
  }

  recordLook(looks: number, elapsedMs: number, plan: HoldPlan): void {
    if (this.current) this.current.hold = { looks, elapsedMs, ...plan };
  }

  recordDecision(decision: CanaryDecision): void {
    if (this.current) this.current.decision = decision;
  }

  rolledBack(weight: number): void {
    this.weight = weight;
  }

  finish(verdict: CanaryVerdict, reasons: string[], now: number): void {
    this.verdictValue = verdict;
    this.reasons = reasons;
    this.stage = 'done';
    this.endedAt = iso(now);
  }

  status(): CanaryStatus {
    return {
      model: this.input.model,
      candidate: this.input.candidate,
      champion: this.input.champion,
      stage: this.stage,
      weight: this.weight,
      params: this.input.params,
      ...(this.input.origin && { origin: this.input.origin }),
      startedAt: iso(this.startedAtMs),
      steps: this.steps.map((s) => ({ ...s })),
      ...(this.baseline && { baseline: this.baseline }),
      ...(this.verdictValue && { verdict: this.verdictValue }),
      reasons: [...this.reasons],
      ...(this.endedAt && { endedAt: this.endedAt }),
    };
  }

  report(): CanaryReport {
    if (!this.verdictValue || !this.endedAt) throw new Error('CanaryState: report() before finish()');
    return { ...this.status(), verdict: this.verdictValue, endedAt: this.endedAt };
  }

  /** What the pipeline's promote step reads: the verdict, traffic steps and reasons. */
  summary(workflowId: string): CanaryRunSummary {
    return {
      canaryVerdict: this.verdictValue,
      workflowId,
      candidate: this.input.candidate,
      champion: this.input.champion,
      weight: this.weight,
      steps: this.steps.map((s) => ({ weight: s.weight, verdict: s.analysis?.verdict ?? null, decision: s.decision?.decision ?? null, ...(s.phase && { phase: s.phase }) })),
      reasons: [...this.reasons],
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
