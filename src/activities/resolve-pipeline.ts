/**
 * Resolves a workflow input to a validated spec: reads the named pipeline file (or takes
 * the inline spec), applies overrides, validates everything, and digests the result.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { InvalidPipelineInputError } from '../errors';
import { canonicalJson } from '../artifacts/canonical-json';
import { parsePipelineInput, parsePipelineSpec } from '../pipeline/parse-spec';
import type { ResolvedPipeline } from '../pipeline/types';
import type { TaskQueues } from '../topology/task-queues';
import { atActivityBoundary } from './activity-boundary';

export interface ResolveDeps {
  pipelinesDir: string;
}

/**
 * `taskQueues`: this worker's topology, handed to the run with its spec (it is an orchestration
 * worker: resolvePipeline runs on the workflow's own queue); undefined: everything on that queue.
 */
export function createResolvePipeline(deps: ResolveDeps & { taskQueues?: TaskQueues; logger: Logger }) {
  return atActivityBoundary('resolvePipeline', deps.logger, async (rawInput: unknown): Promise<ResolvedPipeline> => {
    const resolved = await resolvePipelineInput(deps, rawInput);
    return deps.taskQueues ? { ...resolved, taskQueues: deps.taskQueues } : resolved;
  });
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
  const spec = parsePipelineSpec(rawSpec, input, input.pipeline ? source : 'input.spec');
  const specDigest = createHash('sha256').update(canonicalJson(spec)).digest('hex');
  return { spec, specDigest, source, rerun: input.rerun ?? [] };
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
