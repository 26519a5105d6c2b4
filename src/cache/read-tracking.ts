/**
 * Records which upstream artifact roles a step looks at, so a step that reads something its
 * kind does not declare (STEP_KINDS[kind].reads) is run but not cached: the undeclared artifact
 * is not in the key, and caching the output would let a later run reuse it after that artifact
 * changed. Looking up a role that is absent counts too: its appearing later could change the output.
 */
import type { ArtifactRef, StepOutput } from '../pipeline/types';

// Probes that JSON.stringify, await and Object.prototype methods make; they are not artifact roles.
const NOT_ROLES = new Set(['toJSON', 'then']);
const isProbe = (name: string): boolean => NOT_ROLES.has(name) || name in Object.prototype;

export interface TrackedInputs {
  /** The same outputs, with each `artifacts` record watched. */
  inputs: Record<string, StepOutput>;
  /** Roles looked up (or enumerated) so far. */
  read(): ReadonlySet<string>;
}

export function trackArtifactReads(inputs: Record<string, StepOutput>): TrackedInputs {
  const read = new Set<string>();
  const handler: ProxyHandler<Record<string, ArtifactRef>> = {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && !isProbe(prop)) read.add(prop);
      return Reflect.get(target, prop, receiver);
    },
    has(target, prop) {
      if (typeof prop === 'string' && !isProbe(prop)) read.add(prop);
      return Reflect.has(target, prop);
    },
    getOwnPropertyDescriptor(target, prop) {
      if (typeof prop === 'string') read.add(prop);
      return Reflect.getOwnPropertyDescriptor(target, prop);
    },
    ownKeys(target) {
      // Enumerating (Object.values, spread, JSON) reads every role present.
      const keys = Reflect.ownKeys(target);
      for (const k of keys) if (typeof k === 'string') read.add(k);
      return keys;
    },
  };
  const watched = Object.fromEntries(
    Object.entries(inputs).map(([id, output]) => [id, output && { ...output, artifacts: new Proxy(output.artifacts, handler) }]),
  );
  return { inputs: watched, read: () => read };
}
