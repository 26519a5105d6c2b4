/**
 * `slipway run -f <file>`: the pipeline file is read here, by the CLI, and sent as the workflow
 * input's inline `spec`; the worker and the API never open a path a user names. Every problem
 * names the file (and the line, for YAML), so the user knows what to fix.
 */
import { readFile, stat } from 'node:fs/promises';
import YAML from 'yaml';
import { INPUT_LIMITS } from '../pipeline/input-limits';
import { CliError } from './context';

/**
 * The parsed content of a pipeline file (YAML or JSON, which is YAML): a mapping, not yet validated
 * as a spec (the caller validates it with the file's name as the label).
 * @throws CliError naming the file: missing, a folder, unreadable, too large, not YAML, not a mapping.
 */
export async function readPipelineFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`-f ${file}: is a folder; give the pipeline file itself, e.g. ${file.replace(/\/$/, '')}/my-pipeline.yaml`);
    // The workflow input is bounded anyway; refusing here spares reading a huge file to learn it.
    if (info.size > INPUT_LIMITS.maxInputBytes) {
      throw new CliError(`-f ${file}: ${info.size} bytes is larger than a pipeline input may be (${INPUT_LIMITS.maxInputBytes} bytes, limit maxInputBytes)`);
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`-f ${file}: no such file`);
    if (code === 'EACCES') throw new CliError(`-f ${file}: permission denied (cannot read the file)`);
    throw new CliError(`-f ${file}: cannot read: ${(err as Error).message}`);
  }
  return parsePipelineText(text, file);
}

/** Parses a pipeline file's text; `file` only labels the errors. */
export function parsePipelineText(text: string, file: string): Record<string, unknown> {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const [first] = doc.errors;
    const where = first.linePos ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}` : 'somewhere';
    throw new CliError(`-f ${file}: not valid YAML at ${where}: ${first.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new CliError(`-f ${file}: not valid YAML: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) throw new CliError(`-f ${file}: the file is empty; a pipeline file is a mapping with name, model and steps`);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`-f ${file}: expected a mapping with name, model and steps at the top level, found ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`);
  }
  return value as Record<string, unknown>;
}
