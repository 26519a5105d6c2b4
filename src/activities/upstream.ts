/** Finding what a step needs among the outputs of the steps it depends on. */
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

/** The summary of the nearest upstream step of a given kind-specific shape. */
export function findSummary(inputs: Record<string, StepOutput>, has: string): Record<string, unknown> | undefined {
  return Object.values(inputs)
    .map((o) => o?.summary)
    .filter((s): s is Record<string, unknown> => s !== undefined && has in s)
    .at(-1);
}
