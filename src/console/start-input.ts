/**
 * The console's start form as a pipeline input: a spec pasted or uploaded as a file (YAML or
 * JSON), or a named pipeline with JSON overrides. Pure, so its refusals are tested on their own;
 * the route then resolves the input under the same spec policy as POST /v1/runs.
 */
import { parse as parseYaml } from 'yaml';

/** The form's fields; an uploaded file arrives as `specFile` with its name in `specFile.filename` (src/console/multipart.ts). */
export type StartForm = Record<string, string | undefined>;

/** The start form's fields as a pipeline input: an inline spec (pasted or an uploaded file), or a named pipeline with overrides. */
export function startInput(b: StartForm): Record<string, unknown> {
  const filename = b['specFile.filename'];
  const uploaded = filename ? b.specFile : undefined;
  if (filename && !uploaded?.trim()) throw Object.assign(new Error(`specFile: the file ${JSON.stringify(filename)} is empty`), { statusCode: 400 });
  if (uploaded && b.spec?.trim()) throw Object.assign(new Error('spec: give the spec pasted or as a file, not both'), { statusCode: 400 });
  const text = uploaded ?? (b.spec?.trim() ? b.spec : undefined);
  if (text) {
    const field = uploaded ? `specFile (${filename})` : 'spec';
    let spec: unknown;
    try {
      spec = parseYaml(text);
    } catch (err) {
      throw Object.assign(new Error(`${field}: not YAML or JSON (${(err as Error).message.split('\n')[0]})`), { statusCode: 400 });
    }
    return { spec };
  }
  let overrides: unknown;
  try {
    overrides = b.overrides?.trim() ? JSON.parse(b.overrides) : undefined;
  } catch (err) {
    throw Object.assign(new Error(`overrides: not JSON (${(err as Error).message})`), { statusCode: 400 });
  }
  return { pipeline: b.pipeline, ...(overrides === undefined ? {} : { overrides }) };
}
