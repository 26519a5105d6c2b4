/**
 * Typed look-ups of step outputs by kind. A step finds what it needs upstream by the kind of the
 * step that produced it (`upstreamOf(req.inputs, 'evaluate')`), never by which keys a summary
 * happens to have; the answer carries that kind's summary type, so a renamed field is a compile
 * error. Pure, for the workflow bundle as well as activities and clients.
 */
import type { StepKindName } from './step-kinds';
import type { StepSummaries } from './step-summaries';
import type { RecordedStepOutput, StepOutput } from './types';

/** An upstream output of kind `K` with the id of the step that produced it. */
export type Upstream<K extends StepKindName> = OutputOf<K> & { step: string };

/** The output of kind `K` (as {@link StepOutput}<K>, in a form generic code can narrow to). */
export type OutputOf<K extends StepKindName> = Extract<StepOutput, { kind: K }>;

const isKind = <K extends StepKindName>(kind: K) => (o: StepOutput | undefined): o is OutputOf<K> => o?.kind === kind;

/** Every upstream output of kind `K`, in dependency order (e.g. the candidates of several train steps). */
export function allUpstreamOf<K extends StepKindName>(inputs: Record<string, StepOutput>, kind: K): Upstream<K>[] {
  const is = isKind(kind);
  const found: Upstream<K>[] = [];
  for (const [step, output] of Object.entries(inputs)) if (is(output)) found.push({ ...output, step });
  return found;
}

/** The nearest upstream output of kind `K` (the last in dependency order), or undefined when no step of that kind is upstream. */
export function upstreamOf<K extends StepKindName>(inputs: Record<string, StepOutput>, kind: K): Upstream<K> | undefined {
  return allUpstreamOf(inputs, kind).at(-1);
}

/** The output of upstream step `step` when it is of kind `K`. */
export function upstreamStep<K extends StepKindName>(inputs: Record<string, StepOutput>, step: string, kind: K): Upstream<K> | undefined {
  const output = inputs[step];
  return isKind(kind)(output) ? { ...output, step } : undefined;
}

/**
 * A recorded output with its kind, which the caller knows from the step spec: outputs recorded
 * before they carried `kind` (workflow histories, step records, cache entries) are read here and
 * nowhere else. The summary is the one the kind's activity produced, so it has the kind's type.
 */
export function withKind<K extends StepKindName, O extends RecordedStepOutput>(output: O, kind: K): Omit<O, 'kind'> & StepOutput<K> {
  return { ...output, kind } as unknown as Omit<O, 'kind'> & StepOutput<K>;
}

/** A step of a run's status or result: its kind comes from the spec, its summary from that kind's activity. */
export interface KindedStep {
  kind: string;
  /** A status entry's state: only a finished step's summary is its output's (a running canary shows its progress). */
  state?: string;
  summary?: Record<string, unknown>;
}

const FINISHED: ReadonlySet<string | undefined> = new Set([undefined, 'succeeded', 'cached']);

/**
 * The summary of a finished step of kind `K` (status entries and results carry the kind from the
 * spec, also in runs from before outputs did); undefined for another kind or a step without one.
 */
export function summaryOf<K extends StepKindName>(step: KindedStep | undefined, kind: K): StepSummaries[K] | undefined {
  return step?.kind === kind && FINISHED.has(step.state) && step.summary ? (step.summary as StepSummaries[K]) : undefined;
}

/** Summaries of every step of kind `K` among `steps`, in their order. */
export function summariesOf<K extends StepKindName>(steps: readonly KindedStep[], kind: K): StepSummaries[K][] {
  return steps.flatMap((s) => summaryOf(s, kind) ?? []);
}
