/**
 * The rules of one canary's traffic steps, unit-tested without Temporal: which step comes next,
 * how long a step holds, when its analysis decides it, what a verdict, a human decision or an
 * abort leads to. The workflow (canary-workflow.ts) does what the answers say: it sets traffic,
 * waits, measures, asks for decisions and rolls back. Deterministic: times come in as `now`.
 */
import { analyseStep, baselineFor, type AnalysisInput, type Baseline, type StepAnalysis, type StepMeasurement } from '../canary/analysis';
import { CanaryState, type CanaryDecision, type CanaryVerdict, type ParsedCanaryInput } from '../canary/canary-state';
import { holdPlan, lookAtStep, nextWaitMs, type HoldPlan } from '../canary/sequential-hold';
import { toMs } from '../duration/duration';

/** What the workflow does next. */
export type CanaryAction =
  /**
   * Set the canary's traffic share to `weight` (step `step`, 1-based), then hold. `shadow`: the
   * shadow phase (step 0, weight 0): the candidate scores mirrored traffic, then the hold.
   */
  | { type: 'shift'; step: number; weight: number; shadow?: true }
  /** Ask for a decision on an inconclusive step: approve continues, reject (or the timeout default) rolls back. */
  | { type: 'await-decision'; gateId: string; timeoutMs: number; onTimeout: 'approve' | 'reject'; reasons: string[] }
  /** Put the canary's traffic back to 0, then end with `verdict`. */
  | { type: 'roll-back'; verdict: Extract<CanaryVerdict, 'rolled-back' | 'aborted'>; reasons: string[] }
  /** End with `verdict` without touching traffic. */
  | { type: 'finish'; verdict: Extract<CanaryVerdict, 'passed' | 'skipped'>; reasons: string[] };

export type RollBack = Extract<CanaryAction, { type: 'roll-back' }>;

/**
 * The rules a step is judged by. Each was added after canaries had been recorded without it, so a
 * replayed step keeps the rules its history was decided by (canary-workflow.ts reads each from
 * `patched()`); a new step has them all.
 */
export interface StepRules {
  /** Score shift judged only against champion traffic of the same interval. */
  concurrentScoreShift: boolean;
  /** Multiclass and regression canaries judged by their task's checks. */
  taskChecks: boolean;
  /** A binary score shift below the hard limit waits for live AUC in a sequential hold. */
  shiftAwaitsQuality: boolean;
  /** A sequential step followed by a 100% step waits for the labels live quality needs, as the last step does. */
  labelsBeforeFullTraffic: boolean;
  /** A binary canary's live log loss is judged too. */
  binaryLogLoss: boolean;
  /** The shadow phase judges live quality on paired rows. */
  pairedShadow: boolean;
  /** A sequential check passes only while its estimate lies within the margin (sequential-hold.ts). */
  passWithinMargin: boolean;
}

const CURRENT_RULES: StepRules = { concurrentScoreShift: true, taskChecks: true, shiftAwaitsQuality: true, labelsBeforeFullTraffic: true, binaryLogLoss: true, pairedShadow: true, passWithinMargin: true };

/** A measurement of the current step, or why there is none. */
export interface Measured {
  measurement?: StepMeasurement;
  error?: string;
}

export class CanaryRun {
  readonly state: CanaryState;
  readonly holdMs: number;
  readonly decisionMs: number;
  private index = -1;
  /** In the shadow phase (before the first traffic step). */
  private shadowPhase = false;
  private abortedBy?: { by: string; reason: string };
  private step?: { startedAtMs: number; serverStartedAt: string; plan?: HoldPlan; looks: number; previousBaseline?: Baseline; rules: StepRules };
  private pending?: StepAnalysis;

  constructor(
    readonly input: ParsedCanaryInput,
    startedAtMs: number,
  ) {
    this.state = new CanaryState(input, startedAtMs);
    this.holdMs = toMs(input.params.interval);
    this.decisionMs = toMs(input.params.decisionTimeout);
  }

  /** The first abort counts; later ones change nothing. */
  abort(by: string, reason: string): void {
    this.abortedBy ??= { by, reason };
  }

  get aborted(): boolean {
    return this.abortedBy !== undefined;
  }

  /**
   * A canary without a champion is skipped: there is nothing to compare with. With `shadow`
   * params (and `shadowMode`, false only when replaying canaries recorded before shadow mode) the
   * shadow phase comes first.
   */
  begin(shadowMode = false): CanaryAction {
    if (this.input.champion === null) return { type: 'finish', verdict: 'skipped', reasons: ['no champion to compare with: the first version is promoted without a canary'] };
    if (shadowMode && this.input.params.shadow) {
      this.shadowPhase = true;
      this.state.setStage('shifting-traffic');
      return { type: 'shift', step: 0, weight: 0, shadow: true };
    }
    return this.next();
  }

  /** The current traffic step's weight (0 in the shadow phase). */
  get weight(): number {
    return this.shadowPhase ? 0 : this.input.params.steps[this.index];
  }

  /** Whether the current phase is the shadow phase. */
  get inShadow(): boolean {
    return this.shadowPhase;
  }

  /**
   * The shadow phase's hold: always sequential (it waits for labels), at most `shadow.maxDuration`
   * (default: the hold's maximum), at least the hold's minimum.
   */
  shadowPlan(): HoldPlan {
    const { hold, shadow } = this.input.params;
    const max = shadow?.maxDuration ?? hold?.maxDuration;
    return holdPlan(this.holdMs, { minMs: hold?.minDuration ? toMs(hold.minDuration) : undefined, maxMs: max ? toMs(max) : undefined, alpha: hold?.alpha ?? 0.05 });
  }

  /** The model server refused the step's traffic: the canary rolls back. */
  trafficRefused(message: string): RollBack {
    const where = this.shadowPhase ? 'in shadow mode' : `at ${this.weight}%`;
    return { type: 'roll-back', verdict: 'rolled-back', reasons: [`the model server did not take the canary ${where}: ${message}`] };
  }

  /**
   * The step's traffic is in force since `now`, on the server process started at `serverStartedAt`,
   * judged by `rules` (each true unless the canary's history was recorded before it: see StepRules).
   */
  stepStarted(now: number, serverStartedAt: string, rules: Partial<StepRules> = {}): void {
    // Every look of the step compares with the baseline from before it, as one analysis would.
    this.step = { startedAtMs: now, serverStartedAt, looks: 0, previousBaseline: this.state.baseline, rules: { ...CURRENT_RULES, ...rules } };
    this.state.beginStep(this.weight, now, this.holdMs, serverStartedAt, this.shadowPhase);
  }

  /** Holds the current step sequentially with `plan` (looks every interval until decided); without one, one fixed hold. */
  holdWith(plan: HoldPlan | undefined): void {
    this.current().plan = plan;
  }

  /** When the current step's traffic took effect (ms since the epoch). */
  get stepStartedAtMs(): number {
    return this.current().startedAtMs;
  }

  /** Looks taken at the current step so far. */
  get looks(): number {
    return this.step?.looks ?? 0;
  }

  /** How long to hold before the next look at the current step. */
  waitMs(now: number): number {
    const step = this.current();
    return step.plan ? nextWaitMs(step.plan, now - step.startedAtMs) : this.holdMs;
  }

  /**
   * Records a look at the current step. Returns its analysis when the look decides the step, or
   * undefined to hold again: a sequential hold that has not decided, or a server that gave no
   * figures while the hold's maximum duration has not passed (it may be back at the next look).
   */
  looked({ measurement, error }: Measured, now: number): StepAnalysis | undefined {
    const step = this.current();
    const look = ++step.looks;
    const elapsedMs = now - step.startedAtMs;
    const analysisInput = this.analysisInput(step);
    const sequential = step.plan && measurement ? lookAtStep({ ...analysisInput, measurement }, step.plan, elapsedMs, look) : undefined;
    const analysis: StepAnalysis = sequential
      ? sequential.analysis
      : measurement
        ? analyseStep({ ...analysisInput, measurement })
        : { verdict: 'inconclusive', checks: [], reasons: [`measurement: ${error}`] };
    this.state.recordAnalysis(measurement, analysis, error, measurement ? baselineFor({ ...analysisInput, measurement }) : undefined);
    if (sequential) this.state.recordLook(sequential.look, sequential.elapsedMs, step.plan!);
    const retry = step.plan !== undefined && !measurement && elapsedMs < step.plan.maxMs;
    if ((sequential && !sequential.decided) || retry) {
      this.state.setStage('holding');
      return undefined;
    }
    return analysis;
  }

  /** What a decided step leads to: a failure rolls back, an inconclusive step asks a human, a pass moves on. */
  analysed(analysis: StepAnalysis): CanaryAction {
    if (analysis.verdict === 'fail') return { type: 'roll-back', verdict: 'rolled-back', reasons: this.shadowPhase ? analysis.reasons.map((r) => `shadow phase (no traffic moved): ${r}`) : analysis.reasons };
    if (analysis.verdict === 'inconclusive') {
      this.pending = analysis;
      this.state.setStage('awaiting-decision');
      return {
        type: 'await-decision',
        gateId: this.shadowPhase ? 'shadow' : `step-${this.index + 1}`,
        timeoutMs: this.decisionMs,
        onTimeout: this.input.params.onDecisionTimeout === 'continue' ? 'approve' : 'reject',
        reasons: analysis.reasons,
      };
    }
    return this.next();
  }

  /** The decision on an inconclusive step (or its timeout default): approved moves on, rejected rolls back. */
  decided(decision: CanaryDecision): CanaryAction {
    this.state.recordDecision(decision);
    const reasons = this.pending?.reasons ?? [];
    this.pending = undefined;
    if (decision.decision === 'rejected') return { type: 'roll-back', verdict: 'rolled-back', reasons: [...reasons, `rejected by ${decision.by}: ${decision.reason}`] };
    return this.next();
  }

  /** An abort arrived while the workflow waited (a hold or a decision): the canary rolls back. */
  abortedWhileWaiting(): RollBack {
    return this.abortAction();
  }

  /** A cancelled canary rolls back before it ends. */
  cancelled(): RollBack {
    return { type: 'roll-back', verdict: 'aborted', reasons: ['the canary was cancelled'] };
  }

  /** The next traffic step; after the last, the canary passed. An abort stops it before any further step. */
  private next(): CanaryAction {
    if (this.aborted) return this.abortAction();
    this.shadowPhase = false;
    this.index++;
    if (this.index >= this.input.params.steps.length) return { type: 'finish', verdict: 'passed', reasons: [] };
    this.step = undefined;
    this.state.setStage('shifting-traffic');
    return { type: 'shift', step: this.index + 1, weight: this.weight };
  }

  private abortAction(): RollBack {
    return { type: 'roll-back', verdict: 'aborted', reasons: [`aborted by ${this.abortedBy!.by}: ${this.abortedBy!.reason}`] };
  }

  private analysisInput(step: NonNullable<CanaryRun['step']>): Omit<AnalysisInput, 'measurement'> {
    const { analysis, shadow } = this.input.params;
    return {
      // The shadow phase exists to judge live labels: it needs `shadow.minLabels` of them to pass.
      thresholds: this.shadowPhase ? { ...analysis, requireLabels: true, minLabels: shadow?.minLabels ?? analysis.minLabels } : analysis,
      previousBaseline: step.previousBaseline,
      serverStartedAtStepStart: step.serverStartedAt,
      weight: this.weight,
      lastStep: this.shadowPhase || this.index === this.input.params.steps.length - 1 || (step.rules.labelsBeforeFullTraffic && step.plan !== undefined && this.beforeFullTraffic()),
      concurrentScoreShift: step.rules.concurrentScoreShift,
      taskChecks: step.rules.taskChecks,
      shiftAwaitsQuality: step.rules.shiftAwaitsQuality,
      binaryLogLoss: step.rules.binaryLogLoss,
      pairedShadow: step.rules.pairedShadow,
      passWithinMargin: step.rules.passWithinMargin,
      ...(this.shadowPhase && { shadow: true }),
    };
  }

  /**
   * The current step is the last in which the champion still serves (the next is 100%). At 100% the
   * champion gets no traffic and so no labels: live quality not judged by the end of this step never
   * can be, and a sequential hold that passed this step early would leave the 100% step waiting for
   * champion labels that cannot come (seen: a 50% step passed at its first 3-s look with fewer than ten
   * champion positives labelled, then the 100% step sat at its maximum and the canary waited for a human).
   */
  private beforeFullTraffic(): boolean {
    const steps = this.input.params.steps;
    return this.index >= 0 && steps[this.index] < 100 && steps[this.index + 1] === 100;
  }

  private current(): NonNullable<CanaryRun['step']> {
    if (!this.step) throw new Error('CanaryRun: no traffic step has started');
    return this.step;
  }
}
