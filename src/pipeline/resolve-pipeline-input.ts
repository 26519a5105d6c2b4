/**
 * Resolves a workflow input to a validated spec: reads the named pipeline file (or takes
 * the inline spec), applies overrides, validates everything, and digests the result. The
 * `resolvePipeline` activity, the HTTP API and the CLI all go through it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { InvalidPipelineInputError } from '../errors';
import { canonicalJson } from '../artifacts/canonical-json';
import { parsePipelineInput, parsePipelineSpec } from './parse-spec';
import type { ResolvedPipeline } from './types';

export interface ResolveDeps {
  pipelinesDir: string;
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
