/**
 * The state of one pipeline run and the rules that move it: which steps may start,
 * what each step receives, and what the run reports. Deterministic: no I/O, no clocks
 * but the workflow's own (passed in as `now`).
 */
import { ancestors } from '../pipeline/dag';
import type { PipelineSpec, StepSpec } from '../pipeline/spec-schema';
import { STEP_KINDS, type StepKindName } from '../pipeline/step-kinds';
import { withKind } from '../pipeline/step-outputs';
import type { CacheDirective, RecordedStepResult, ResolvedPipeline, StepOutput, StepRequest } from '../pipeline/types';
import type { PipelineOutcome, PipelineResult, PipelineStage, PipelineStatus, StepState, StepStatus } from './pipeline-status';

/** States after which a step's output is available to the steps that depend on it. */
const DONE: ReadonlySet<StepState> = new Set(['succeeded', 'cached']);

export class PipelineRun {
  private stage: PipelineStage = 'resolving';
  private spec?: PipelineSpec;
  private specDigest?: string;
  private readonly steps = new Map<string, StepStatus>();
  private readonly outputs: Record<string, StepOutput> = {};
  private rerun: ReadonlySet<string> = new Set();
  private authority?: ResolvedPipeline['authority'];
  private failed = false;

  constructor(
    private readonly workflowId: string,
    private readonly runId: string,
  ) {}

  begin(resolved: ResolvedPipeline): void {
    this.spec = resolved.spec;
    this.specDigest = resolved.specDigest;
    this.rerun = new Set(resolved.rerun ?? []);
    // Runs resolved before run tickets have none, and their requests stay as they were.
    this.authority = resolved.authority;
    this.stage = 'running';
    for (const step of resolved.spec.steps) {
      this.steps.set(step.id, { id: step.id, kind: step.kind, state: 'pending', attempts: 0 });
    }
  }

  get pipelineSpec(): PipelineSpec {
    if (!this.spec) throw new Error('PipelineRun: begin() was not called');
    return this.spec;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** Steps whose dependencies all finished (ran or cached) and that have not started, in spec order. */
  readySteps(): StepSpec[] {
    if (this.failed) return [];
    return this.pipelineSpec.steps.filter(
      (s) => this.steps.get(s.id)?.state === 'pending' && s.dependsOn.every((d) => DONE.has(this.steps.get(d)?.state ?? 'pending')),
    );
  }

  runningCount(): number {
    return this.runningStepIds().length;
  }

  runningStepIds(): string[] {
    const ids: string[] = [];
    for (const s of this.steps.values()) if (s.state === 'running') ids.push(s.id);
    return ids;
  }

  request(step: StepSpec): StepRequest {
    const spec = this.pipelineSpec;
    const inputs: Record<string, StepOutput> = {};
    for (const id of ancestors(spec.steps, step.id)) inputs[id] = this.outputs[id];
    const cache = this.cacheDirective(step);
    return {
      ctx: {
        workflowId: this.workflowId,
        runId: this.runId,
        stepId: step.id,
        pipeline: spec.name,
        model: spec.model,
        specDigest: this.specDigest ?? '',
      },
      params: step.with,
      inputs,
      ...(cache && { cache }),
      ...(this.authority && { authority: this.authority }),
    };
  }

  started(stepId: string, now: number): void {
    this.update(stepId, { state: 'running', startedAt: new Date(now).toISOString() });
  }

  /**
   * Records a step's output under the kind its spec names: results recorded before outputs
   * carried their kind (and the canary child's) get it here, so every later request has it.
   */
  succeeded(stepId: string, result: RecordedStepResult, now: number): void {
    const { attempt, cache, ...recorded } = result;
    const output = withKind(recorded, this.kindOf(stepId));
    this.outputs[stepId] = output;
    this.update(stepId, {
      state: cache?.outcome === 'hit' ? 'cached' : 'succeeded',
      attempts: attempt,
      summary: output.summary,
      ...(cache && { cache }),
      ...this.ended(stepId, now),
    });
  }

  /** Live facts of a running step (a canary's stage and verdicts so far); replaced by the output when it ends. */
  progress(stepId: string, summary: Record<string, unknown>): void {
    if (this.steps.get(stepId)?.state === 'running') this.update(stepId, { summary });
  }

  failedStep(stepId: string, error: { type?: string; message: string; attempts: number }, now: number): void {
    this.failed = true;
    this.update(stepId, { state: 'failed', attempts: error.attempts, error: { type: error.type, message: error.message }, ...this.ended(stepId, now) });
    for (const s of this.steps.values()) if (s.state === 'pending') s.state = 'skipped';
  }

  finish(): PipelineResult {
    this.stage = this.failed ? 'failed' : 'completed';
    return { ...this.status(), outcome: this.outcome(), outputs: { ...this.outputs } };
  }

  /** The last promote step's verdict wins; a pipeline without one simply completes. */
  outcome(): PipelineOutcome {
    if (this.failed) return 'failed';
    const verdicts = Object.values(this.outputs).flatMap((o) => (o.kind === 'promote' ? [o.summary.outcome] : []));
    return verdicts.at(-1) ?? 'completed';
  }

  status(): PipelineStatus {
    const steps = [...this.steps.values()].map((s) => ({ ...s }));
    return {
      workflowId: this.workflowId,
      runId: this.runId,
      pipeline: this.spec?.name,
      model: this.spec?.model,
      specDigest: this.specDigest,
      stage: this.stage,
      runningSteps: steps.filter((s) => s.state === 'running').map((s) => s.id),
      steps,
      outcome: this.stage === 'completed' || this.stage === 'failed' ? this.outcome() : undefined,
    };
  }

  /** Whether and how the step uses the content cache: the step's `cache`, else its kind's default; `rerun` forces a run. */
  private cacheDirective(step: StepSpec): CacheDirective | undefined {
    const kindDefault = STEP_KINDS[step.kind as StepKindName].cache;
    if (kindDefault === 'never' || !(step.cache ?? kindDefault === 'on')) return undefined;
    return { mode: this.rerun.has(step.id) || this.rerun.has('*') ? 'rerun' : 'use' };
  }

  private kindOf(stepId: string): StepKindName {
    const step = this.pipelineSpec.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`PipelineRun: no step "${stepId}" in the spec`);
    return step.kind as StepKindName;
  }

  private ended(stepId: string, now: number): Partial<StepStatus> {
    const startedAt = this.steps.get(stepId)?.startedAt;
    return {
      endedAt: new Date(now).toISOString(),
      durationMs: startedAt ? now - Date.parse(startedAt) : undefined,
    };
  }

  private update(stepId: string, patch: Partial<StepStatus>): void {
    const current = this.steps.get(stepId);
    if (current) this.steps.set(stepId, { ...current, ...patch });
  }
}
