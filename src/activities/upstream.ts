/** Finding upstream artifacts by logical name; summaries are found by kind (src/pipeline/step-outputs.ts). */
import { InvalidPipelineInputError } from '../errors';
import type { ArtifactRef, StepOutput } from '../pipeline/types';

/**
 * The one upstream artifact called `name`. With several (e.g. two trainers), `fromStep`
 * picks one; without it the nearest (last finished) upstream step wins.
 */
export function findArtifact(inputs: Record<string, StepOutput>, name: string, fromStep?: string): ArtifactRef {
  if (fromStep) {
    const ref = inputs[fromStep]?.artifacts[name];
    if (!ref) throw new InvalidPipelineInputError([`step "${fromStep}" produced no "${name}" artifact for this step`]);
    return ref;
  }
  const found = Object.values(inputs)
    .map((o) => o?.artifacts[name])
    .filter((r): r is ArtifactRef => r !== undefined);
  const ref = found.at(-1);
  if (!ref) {
    throw new InvalidPipelineInputError([
      `no upstream step produced a "${name}" artifact; add a step that does to this step's dependsOn`,
    ]);
  }
  return ref;
}

/** An upstream artifact with the id of the step that produced it. */
export interface UpstreamArtifact {
  step: string;
  ref: ArtifactRef;
}

/**
 * Every upstream artifact called `name`, in dependency order (e.g. the models of several
 * train steps). `fromSteps` restricts and orders the search; a named step without one is an error.
 */
export function findAllArtifacts(inputs: Record<string, StepOutput>, name: string, fromSteps?: string[]): UpstreamArtifact[] {
  if (fromSteps) {
    const problems = fromSteps.filter((s) => !inputs[s]?.artifacts[name]).map((s) =>
      s in inputs ? `step "${s}" produced no "${name}" artifact` : `step "${s}" is not upstream of this step; add it to dependsOn`,
    );
    if (problems.length > 0) throw new InvalidPipelineInputError(problems);
    return fromSteps.map((step) => ({ step, ref: inputs[step].artifacts[name] }));
  }
  const found = Object.entries(inputs).flatMap(([step, o]) => (o?.artifacts[name] ? [{ step, ref: o.artifacts[name] }] : []));
  if (found.length === 0) {
    throw new InvalidPipelineInputError([`no upstream step produced a "${name}" artifact; add a step that does to this step's dependsOn`]);
  }
  return found;
}
