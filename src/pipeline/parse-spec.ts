/**
 * Turns a raw workflow input plus the named pipeline it refers to into a validated,
 * fully-defaulted spec, or an InvalidPipelineInputError listing every problem with its
 * JSON path. Collecting all problems at once spares users a fix-one-rerun loop.
 */
import type { z } from 'zod';
import { InvalidPipelineInputError } from '../errors';
import { dagProblems } from './dag';
import { inputShapeProblems } from './input-limits';
import { pipelineInputSchema, pipelineSpecSchema, type PipelineInput, type PipelineSpec } from './spec-schema';
import { STEP_KINDS, type StepKindName } from './step-kinds';
import { STEP_PARAMS } from './step-params-by-kind';
import { taskProblems } from './task-spec-check';

export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
      .join('')
      .replace(/^\./, '');
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `${path || '(input)'}: ${issue.message}${keys}`;
  });
}

/** Validates the workflow input's own shape. */
export function parsePipelineInput(raw: unknown): PipelineInput {
  // Size and nesting first: everything after walks the input and must not meet a bomb.
  const tooLarge = inputShapeProblems(raw, 'input');
  if (tooLarge.length > 0) throw new InvalidPipelineInputError(tooLarge);
  const parsed = pipelineInputSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidPipelineInputError(formatIssues(parsed.error.issues, 'input'));
  return parsed.data;
}

/** Deep-merges objects; arrays and scalars from `patch` replace those in `base`. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a raw spec (after overrides are applied) and every step's parameters.
 * Returns the spec with each step's `with` replaced by its parsed, defaulted form.
 */
export function parsePipelineSpec(
  rawSpec: unknown,
  input: Pick<PipelineInput, 'overrides' | 'model' | 'rerun'> = {},
  specLabel = 'spec',
): PipelineSpec {
  // A named pipeline's file was not checked with the input: check the spec itself (after a
  // `parsePipelineInput`, an inline spec passes again at no real cost).
  const tooLarge = inputShapeProblems(rawSpec, specLabel);
  if (tooLarge.length > 0) throw new InvalidPipelineInputError(tooLarge);
  const problems: string[] = [];
  const merged = applyOverrides(rawSpec, input, problems);
  const parsed = pipelineSpecSchema.safeParse(merged);
  if (!parsed.success) {
    throw new InvalidPipelineInputError([...problems, ...formatIssues(parsed.error.issues, specLabel)]);
  }
  const spec = parsed.data;
  problems.push(...dagProblems(spec.steps, `${specLabel}.steps`));
  const rawWith = spec.steps.map((s) => s.with);
  spec.steps.forEach((step, i) => {
    const kind = STEP_KINDS[step.kind as StepKindName];
    const params = STEP_PARAMS[step.kind as StepKindName].safeParse(step.with);
    if (params.success) step.with = params.data as Record<string, unknown>;
    else problems.push(...formatIssues(params.error.issues, `${specLabel}.steps[${i}].with`));
    if (step.cache === true && kind.cache === 'never') {
      problems.push(`${specLabel}.steps[${i}].cache: ${step.kind} steps are never cached (their side effects must happen in every run); remove "cache"`);
    }
  });
  problems.push(...taskProblems(spec.steps, rawWith, specLabel));
  problems.push(...rerunProblems(spec, input.rerun));
  if (problems.length > 0) throw new InvalidPipelineInputError(problems);
  return spec;
}

function rerunProblems(spec: PipelineSpec, rerun: readonly string[] = []): string[] {
  const ids = spec.steps.map((s) => s.id);
  return rerun.flatMap((id, i) =>
    id === '*' || ids.includes(id) ? [] : [`input.rerun[${i}]: no step "${id}" in the pipeline (steps: ${ids.join(', ')})`],
  );
}

function applyOverrides(rawSpec: unknown, input: Pick<PipelineInput, 'overrides' | 'model'>, problems: string[]): unknown {
  if (!isPlainObject(rawSpec)) return rawSpec;
  const spec: Record<string, unknown> = { ...rawSpec };
  if (input.model) spec.model = input.model;
  if (!input.overrides) return spec;
  const steps = Array.isArray(spec.steps) ? spec.steps : [];
  const ids = new Set(steps.map((s) => (isPlainObject(s) ? s.id : undefined)));
  for (const stepId of Object.keys(input.overrides)) {
    if (!ids.has(stepId)) {
      problems.push(`input.overrides.${stepId}: no step "${stepId}" in the pipeline (steps: ${[...ids].join(', ')})`);
    }
  }
  spec.steps = steps.map((s) =>
    isPlainObject(s) && typeof s.id === 'string' && input.overrides?.[s.id]
      ? { ...s, with: deepMerge(s.with ?? {}, input.overrides[s.id]) }
      : s,
  );
  return spec;
}
