/**
 * Resolves a workflow input to a validated spec: reads the named pipeline file (or takes
 * the inline spec), applies overrides, validates everything, checks the spec policy for the
 * principal the run acts for (src/auth/spec-policy.ts), and digests the result. The
 * `resolvePipeline` activity, the HTTP API, the console and the CLI all go through it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { InvalidPipelineInputError, PermissionDeniedError } from '../errors';
import { canonicalJson } from '../artifacts/canonical-json';
import type { AccessControl } from '../auth/access-control';
import type { Principal } from '../auth/principal';
import { movesAliases, ownsModel, promotedAlias, specPolicyProblems } from '../auth/spec-policy';
import { parsePipelineInput, parsePipelineSpec } from './parse-spec';
import type { PipelineSpec } from './spec-schema';
import type { IngestParams } from './step-params';
import type { ResolvedPipeline, RunAuthority } from './types';
import { sourceOutsideRoots } from '../data/data-roots';
import { withDuckDb } from '../data/duckdb';
import { checkSourceSelect } from '../data/source-select';
import { registeredProgramProblems, registeredTrainerProblems, type TrainerRegistry } from '../training/trainer-registry';

export interface ResolveDeps {
  pipelinesDir: string;
  /** Registered command trainers; absent: only `builtin` (and allowed inline commands) resolve. */
  trainers?: TrainerRegistry;
  /** Principals allowed inline command trainers. @default [] */
  inlineCommandPrincipals?: readonly string[];
  /**
   * Data roots (SLIPWAY_DATA_ROOTS): an ingest source whose path lies outside them is refused here,
   * on the path alone; the ingest itself resolves symlinks. @default undefined: not checked here
   */
  dataRoots?: readonly string[];
}

/** Who the resolution is for: absent `principal` means no verifiable identity. */
export interface ResolveFor {
  principal?: Principal;
  via: RunAuthority['via'];
}

/**
 * Resolves and validates without Temporal; the HTTP API uses it to answer 400 (bad input) or
 * 403 (a field the caller may not set) before starting a run.
 * @throws InvalidPipelineInputError; PermissionDeniedError listing each field the principal may not set.
 */
export async function resolvePipelineInput(deps: ResolveDeps, rawInput: unknown, runFor: ResolveFor = { via: 'none' }): Promise<ResolvedPipeline> {
  const { input, rawSpec, spec, source, label } = await readPipelineSpec(deps, rawInput);
  const baseline = input.pipeline ? parsePipelineSpec(rawSpec, {}, label) : undefined;
  const problems = specPolicyProblems({ principal: runFor.principal, spec, baseline, inlineCommandPrincipals: deps.inlineCommandPrincipals ?? [] });
  if (problems.length > 0) {
    throw new PermissionDeniedError(`Permission denied by the spec policy (docs/trust-boundary.md): ${problems.join('; ')}`, {
      details: { principal: runFor.principal?.name ?? null, problems },
    });
  }
  const authority = authorityOf(runFor, spec, input.pipeline !== undefined);
  const final = authority.promotion === 'approval-only' ? requireApproval(spec) : spec;
  const specDigest = createHash('sha256').update(canonicalJson(final)).digest('hex');
  return { spec: final, specDigest, source, rerun: input.rerun ?? [], authority };
}

/**
 * The validated spec an input names, with registered trainers checked, but no policy: for reading
 * a pipeline's parameters (continuous training's planning), never for authorising a run.
 * Ingest sources outside `dataRoots` (when given) are refused here too.
 */
export async function readPipelineSpec(deps: Pick<ResolveDeps, 'pipelinesDir' | 'trainers' | 'dataRoots'>, rawInput: unknown) {
  const input = parsePipelineInput(rawInput);
  let rawSpec: unknown = input.spec;
  let source = 'inline';
  if (input.pipeline) {
    source = path.join(path.basename(deps.pipelinesDir), `${input.pipeline}.yaml`);
    rawSpec = await readPipelineFile(deps.pipelinesDir, input.pipeline);
  }
  const label = input.pipeline ? source : 'input.spec';
  const spec = parsePipelineSpec(rawSpec, input, label);
  // Without a registry (planning-only callers) trainer names are left to the train step to check.
  const trainerProblems = deps.trainers
    ? spec.steps.flatMap((s, i) =>
        s.kind === 'train' && s.with.trainer !== 'builtin' && s.with.trainer !== 'command'
          ? registeredTrainerProblems(deps.trainers!, String(s.with.trainer), (s.with.params ?? {}) as Record<string, unknown>, `${label}.steps[${i}].with`)
          : s.kind === 'command'
            ? registeredProgramProblems(deps.trainers!, String(s.with.program), (s.with.params ?? {}) as Record<string, unknown>, `${label}.steps[${i}].with`)
            : [],
      )
    : [];
  if (trainerProblems.length > 0) throw new InvalidPipelineInputError(trainerProblems);
  const selectProblems = await sourceSelectProblems(spec, label);
  if (selectProblems.length > 0) throw new InvalidPipelineInputError(selectProblems);
  if (deps.dataRoots) {
    const problems = sourceProblems(spec, deps.dataRoots, label);
    if (problems.length > 0) throw new InvalidPipelineInputError(problems);
  }
  return { input, rawSpec, spec, source, label };
}

function authorityOf(runFor: ResolveFor, spec: PipelineSpec, named: boolean): RunAuthority {
  const principal = runFor.principal?.name ?? 'unverified';
  if (!runFor.principal || runFor.via === 'none') return { principal, via: 'none', promotion: 'approval-only' };
  if (ownsModel(runFor.principal, spec.model, promotedAlias(spec))) return { principal, via: runFor.via, promotion: 'owner' };
  // The policy check passed without ownership: a named pipeline unchanged in owner fields, or a spec that moves nothing.
  return { principal, via: runFor.via, promotion: named || !movesAliases(spec) ? 'pipeline' : 'approval-only' };
}

/** A run nobody can vouch for promotes only after an approval through the API (docs/trust-boundary.md). */
function requireApproval(spec: PipelineSpec): PipelineSpec {
  return {
    ...spec,
    steps: spec.steps.map((s) => (s.kind === 'promote' && s.with.mode !== 'manual' ? { ...s, with: { ...s.with, mode: 'manual', onTimeout: 'reject' } } : s)),
  };
}

/** Each ingest `source.select` parsed by DuckDB (nothing runs) and checked: one read-only SELECT over `source`. */
async function sourceSelectProblems(spec: PipelineSpec, specLabel: string): Promise<string[]> {
  const selects = spec.steps.flatMap((step, i) => {
    const select = step.kind === 'ingest' ? (step.with as IngestParams).source.select : undefined;
    return select === undefined ? [] : [{ select, field: `${specLabel}.steps[${i}].with.source.select` }];
  });
  if (selects.length === 0) return [];
  return withDuckDb({ threads: 1 }, async (conn) => {
    const problems: string[] = [];
    for (const { select, field } of selects) {
      const checked = await checkSourceSelect(conn, select, field);
      if ('problems' in checked) problems.push(...checked.problems);
    }
    return problems;
  });
}

function sourceProblems(spec: PipelineSpec, roots: readonly string[], specLabel: string): string[] {
  return spec.steps.flatMap((step, i) => {
    // A served source reads the inference log, not files: the data roots do not apply to it.
    const source = step.kind === 'ingest' ? (step.with as IngestParams).source : undefined;
    const sourcePath = source && !source.served ? source.path : undefined;
    const problem = sourcePath === undefined ? undefined : sourceOutsideRoots(sourcePath, roots);
    return problem ? [`${specLabel}.steps[${i}].with.${problem}`] : [];
  });
}

async function readPipelineFile(dir: string, name: string): Promise<unknown> {
  const file = path.join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InvalidPipelineInputError([`input.pipeline: no pipeline named "${name}" (looked for ${file})`]);
    }
    throw err;
  }
  try {
    return YAML.parse(text);
  } catch (err) {
    throw new InvalidPipelineInputError([`${file}: not valid YAML: ${(err as Error).message}`]);
  }
}
