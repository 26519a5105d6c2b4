/**
 * The pipeline files the README's quickstart writes (its `<<'YAML'` heredocs) are valid against the
 * committed pipeline-file JSON Schema, as their `$schema` line promises editors, and against the
 * engine's own parser, without a server: a schema change that would break the quickstart shows
 * here in a second, before the end-to-end test runs them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from '../../src/pipeline/parse-spec';
import { sectionBlocks } from './readme-blocks';

const ROOT = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'docs', 'pipeline.schema.json'), 'utf8')));

/** `cat > <file> <<'YAML'` … `YAML` in each block: the file's name and text. */
const files = sectionBlocks(readme, '## Quickstart: your own CSV', 'quickstart').flatMap((b) =>
  [...b.code.matchAll(/^cat > (\S+) <<'YAML'\n([\s\S]*?)\nYAML$/gm)].map((m) => ({ block: b.name, file: m[1], text: m[2] })),
);

describe('the quickstart pipeline files', () => {
  it('writes one per task', () => {
    expect(files.map((f) => [f.block, f.file])).toEqual([
      ['binary', 'my-rain.yaml'],
      ['multiclass', 'my-weather.yaml'],
      ['regression', 'my-temp-max.yaml'],
    ]);
  });

  it.each(files.map((f) => [f.file, f] as const))('%s is valid for editors (JSON Schema) and for the engine', (_name, f) => {
    expect(f.text.split('\n')[0]).toBe('# yaml-language-server: $schema=docs/pipeline.schema.json');
    const spec = YAML.parse(f.text);
    expect(validate(spec), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(() => parsePipelineSpec(spec, {}, f.file)).not.toThrow();
  });
});
