/**
 * Resolves a workflow input to a validated spec: reads the named pipeline file (or takes
 * the inline spec), applies overrides, validates everything, and digests the result.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import YAML from 'yaml';
import { InvalidPipelineInputError } from '../errors';
import { canonicalJson } from '../artifacts/canonical-json';
import { parsePipelineInput, parsePipelineSpec } from '../pipeline/parse-spec';
import type { PipelineSpec } from '../pipeline/spec-schema';
import type { IngestParams } from '../pipeline/step-params';
import type { ResolvedPipeline } from '../pipeline/types';
import { sourceOutsideRoots } from '../data/data-roots';
import type { TaskQueues } from '../topology/task-queues';

export interface ResolveDeps {
  pipelinesDir: string;
  /**
   * Data roots (SLIPWAY_DATA_ROOTS): an ingest source whose path lies outside them is refused here,
   * on the path alone; the ingest itself resolves symlinks. @default undefined: not checked here
   */
  dataRoots?: readonly string[];
}

/**
 * `taskQueues`: this worker's topology, handed to the run with its spec (it is an orchestration
 * worker: resolvePipeline runs on the workflow's own queue); undefined: everything on that queue.
 */
export function createResolvePipeline(deps: ResolveDeps & { taskQueues?: TaskQueues }) {
  return async function resolvePipeline(rawInput: unknown): Promise<ResolvedPipeline> {
    try {
      const resolved = await resolvePipelineInput(deps, rawInput);
      return deps.taskQueues ? { ...resolved, taskQueues: deps.taskQueues } : resolved;
    } catch (err) {
      if (err instanceof InvalidPipelineInputError) {
        throw ApplicationFailure.create({
          type: err.name,
          message: err.message,
          nonRetryable: true,
          details: [{ problems: err.problems }],
        });
      }
      throw err;
    }
  };
}

/** Resolves and validates without Temporal; the HTTP API uses it to answer 400 before starting a run. */
export async function resolvePipelineInput(deps: ResolveDeps, rawInput: unknown): Promise<ResolvedPipeline> {
  const input = parsePipelineInput(rawInput);
  let rawSpec: unknown = input.spec;
  let source = 'inline';
  if (input.pipeline) {
    source = path.join(path.basename(deps.pipelinesDir), `${input.pipeline}.yaml`);
    rawSpec = await readPipelineFile(deps.pipelinesDir, input.pipeline);
  }
  const specLabel = input.pipeline ? source : 'input.spec';
  const spec = parsePipelineSpec(rawSpec, input, specLabel);
  if (deps.dataRoots) {
    const problems = sourceProblems(spec, deps.dataRoots, specLabel);
    if (problems.length > 0) throw new InvalidPipelineInputError(problems);
  }
  const specDigest = createHash('sha256').update(canonicalJson(spec)).digest('hex');
  return { spec, specDigest, source, rerun: input.rerun ?? [] };
}

function sourceProblems(spec: PipelineSpec, roots: readonly string[], specLabel: string): string[] {
  return spec.steps.flatMap((step, i) => {
    const sourcePath = step.kind === 'ingest' ? (step.with as IngestParams).source.path : undefined;
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
