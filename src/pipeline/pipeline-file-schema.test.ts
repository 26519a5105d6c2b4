/**
 * The pipeline file's JSON Schema (docs/pipeline.schema.json) checked by an independent validator
 * (ajv, draft 2020-12, as editors' YAML language servers use it) against every shipped pipeline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { pipelineFileJsonSchema } from './json-schema';
import { parsePipelineSpec } from './parse-spec';

const ROOT = path.join(__dirname, '..', '..');
const PIPELINES = path.join(ROOT, 'pipelines');
const shipped = readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'));
const committed = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'pipeline.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(committed);
const load = (file: string) => YAML.parse(readFileSync(path.join(PIPELINES, file), 'utf8'));

describe('pipeline file JSON Schema', () => {
  it('is committed in docs/ exactly as the zod schemas produce it (run `npm run schema` after changing them)', () => {
    expect(committed).toEqual(pipelineFileJsonSchema());
  });

  it('ships pipelines to check', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(4);
  });

  it.each(shipped)('validates pipelines/%s with ajv, and the file points editors at the schema', (file) => {
    const spec = load(file);
    expect(validate(spec), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(() => parsePipelineSpec(spec, {}, file)).not.toThrow();
    expect(readFileSync(path.join(PIPELINES, file), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../docs/pipeline.schema.json');
  });

  it.each([
    ['an unknown top-level field', (s: Record<string, unknown>) => ({ ...s, owner: 'me' }), 'additionalProperties'],
    ['a misspelt step kind', (s: { steps: Array<Record<string, unknown>> }) => ({ ...s, steps: [{ ...s.steps[0], kind: 'ingets' }, ...s.steps.slice(1)] }), 'anyOf'],
    [
      'an unknown ingest parameter',
      (s: { steps: Array<{ with: Record<string, unknown> }> }) => ({ ...s, steps: [{ ...s.steps[0], with: { ...s.steps[0].with, windw: {} } }, ...s.steps.slice(1)] }),
      'anyOf',
    ],
    ['a bad id', (s: Record<string, unknown>) => ({ ...s, name: 'Flight Delay' }), 'pattern'],
  ])('refuses %s, as the engine does', (_what, edit, keyword) => {
    const bad = (edit as (s: unknown) => unknown)(load('flight-delay-builtin.yaml'));
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.keyword)).toContain(keyword);
    expect(() => parsePipelineSpec(bad, {}, 'bad')).toThrow(/Invalid pipeline input/);
  });
});
