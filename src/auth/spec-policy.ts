/**
 * The spec policy: which fields of a pipeline spec each principal may set. Starting a run is an
 * operator's right; deciding what code runs and what a model's promotion requires is not.
 *
 * | What                                                       | Who may set it                                   |
 * |------------------------------------------------------------|--------------------------------------------------|
 * | `trainer: <registered name>`, `builtin`; features, params  | anyone who may start runs (operator)             |
 * | ingest source (path, select), window, replay,              | operator                                         |
 * | register tags, retry, rerun                                |                                                  |
 * | `trainer: command` (inline command, `env`)                 | only principals an admin lists in                |
 * |                                                            | SLIPWAY_INLINE_COMMAND_PRINCIPALS                |
 * | `model` (input or spec), every `validate` field (severity, | the model's owner: admin, or approver with a     |
 * | thresholds, schema), evaluate `gates`/`firstRun`/          | grant on the model (and the promoted alias)      |
 * | `primaryMetric`/`threshold`/`candidates`/`comparison`      |                                                  |
 * | (test, margin, alpha, stratify, off), `recent` (served     |                                                  |
 * | window, minLabels, onTooFewLabels, comparison), every `promote` |                                             |
 * | and `canary` field                                          |                                                  |
 * | an inline spec with a promote or canary step               | the model's owner                                |
 * | ingest `source.served.model` or evaluate                    | that model's owner                               |
 * | `recent.served.model` naming another model                  |                                                  |
 *
 * A named pipeline (pipelines/*.yaml, written by whoever deploys the workers) is its model's
 * policy; an operator runs it unchanged in those fields. Runs without a verifiable identity get
 * less still: the same as an operator, and never an automatic promotion (it waits for an
 * approval through the API). See docs/trust-boundary.md.
 */
import { canonicalJson } from '../artifacts/canonical-json';
import type { PipelineSpec, StepSpec } from '../pipeline/spec-schema';
import { decide } from './authorize';
import type { Principal } from './principal';

/** Fields of an evaluate step that decide what is blessed. */
const EVALUATE_OWNER_FIELDS = ['gates', 'firstRun', 'primaryMetric', 'threshold', 'candidates', 'comparison', 'recent'] as const;
/** Step kinds whose whole `with` belongs to the model's owner. */
const OWNER_KINDS = new Set(['validate', 'promote', 'canary']);
/** Step kinds that move an alias or traffic. */
const MOVING_KINDS = new Set(['promote', 'canary']);

/** The alias a spec's promote step moves (`champion` when it has none). */
export function promotedAlias(spec: PipelineSpec): string {
  const promote = spec.steps.find((s) => s.kind === 'promote');
  return typeof promote?.with.alias === 'string' ? promote.with.alias : 'champion';
}

/** True when `principal` owns `model`'s promotion policy: admin, or approver with a grant on model@alias. */
export function ownsModel(principal: Principal | undefined, model: string, alias: string): boolean {
  return decide(principal, 'model.promote', { model, alias }).allowed;
}

export interface SpecPolicyInput {
  /** Undefined: a run with no verifiable identity. */
  principal: Principal | undefined;
  spec: PipelineSpec;
  /** The named pipeline as its file says (no overrides, no model); undefined for an inline spec. */
  baseline?: PipelineSpec;
  /** Principal names allowed to run inline command trainers. */
  inlineCommandPrincipals: readonly string[];
}

/**
 * What the principal set that it may not, as `<field>: <why>` lines; empty when the spec is
 * within its rights.
 */
export function specPolicyProblems(o: SpecPolicyInput): string[] {
  const who = o.principal?.name ?? 'a run without a verifiable identity';
  const problems: string[] = [];
  o.spec.steps.forEach((step, i) => {
    if (step.kind === 'train' && step.with.trainer === 'command' && !(o.principal && o.inlineCommandPrincipals.includes(o.principal.name))) {
      problems.push(
        `steps[${i}] (${step.id}).with.trainer: ${who} may not run an inline command trainer; use a registered trainer by name (trainers/registry.yaml), or ask an admin to allow inline commands for you (SLIPWAY_INLINE_COMMAND_PRINCIPALS)`,
      );
    }
  });
  o.spec.steps.forEach((step, i) => {
    // Served traffic is another model's data: reading it is for that model's owner, not for anyone who may run a pipeline.
    const [field, served] =
      step.kind === 'ingest'
        ? ['source.served.model', (step.with.source as { served?: { model?: unknown } } | undefined)?.served?.model]
        : step.kind === 'evaluate'
          ? ['recent.served.model', (step.with.recent as { served?: { model?: unknown } } | undefined)?.served?.model]
          : ['', undefined];
    if (typeof served === 'string' && served !== o.spec.model && !ownsModel(o.principal, served, '*')) {
      problems.push(`steps[${i}] (${step.id}).with.${field}: reading the served traffic of model "${served}" needs its owner (admin, or approver with a grant on ${served}); ${who} is not`);
    }
  });
  const alias = promotedAlias(o.spec);
  if (ownsModel(o.principal, o.spec.model, alias)) return problems;
  const owner = `the owner of model "${o.spec.model}" (admin, or approver with a grant on ${o.spec.model}@${alias})`;
  if (!o.baseline) {
    const moving = o.spec.steps.filter((s) => MOVING_KINDS.has(s.kind)).map((s) => s.id);
    if (moving.length > 0) problems.push(`spec: an inline spec with ${moving.join(', ')} (promote/canary) steps may only be run by ${owner}; ${who} is not; run a named pipeline instead`);
    return problems;
  }
  if (o.spec.model !== o.baseline.model) {
    problems.push(`model: only ${owner} may run pipeline "${o.baseline.name}" for model "${o.spec.model}" (the pipeline's model is "${o.baseline.model}"); ${who} is not`);
  }
  for (const step of o.spec.steps) {
    const base = o.baseline.steps.find((s) => s.id === step.id);
    for (const field of changedOwnerFields(step, base)) {
      problems.push(`overrides.${step.id}.${field}: set by the model's owner in pipeline "${o.baseline.name}"; ${who} may not change it (needs ${owner})`);
    }
  }
  return problems;
}

function changedOwnerFields(step: StepSpec, base: StepSpec | undefined): string[] {
  if (!base) return [];
  const fields = OWNER_KINDS.has(step.kind)
    ? [...new Set([...Object.keys(step.with), ...Object.keys(base.with)])]
    : step.kind === 'evaluate'
      ? [...EVALUATE_OWNER_FIELDS]
      : [];
  return fields.filter((f) => canonicalJson(step.with[f] ?? null) !== canonicalJson(base.with[f] ?? null)).sort();
}

/** True when the spec moves an alias or traffic (has a promote or canary step). */
export const movesAliases = (spec: PipelineSpec): boolean => spec.steps.some((s) => MOVING_KINDS.has(s.kind));
