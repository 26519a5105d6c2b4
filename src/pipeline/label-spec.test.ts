import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { labelSchema, labelTask, parseLabelExpression, resolveLabel } from './label-spec';
import { ingestParamsSchema } from './step-params';

const messages = (input: unknown): string[] => {
  const r = labelSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('label spec: the task a label makes', () => {
  it.each([
    [{ column: 'delay', op: 'gt', value: 15 }, 'binary', { kind: 'compare', op: 'gt', value: 15 }],
    [{ column: 'weather', op: 'eq', value: 'rain' }, 'binary', { kind: 'equals', op: 'eq', value: 'rain' }],
    [{ column: 'weather', op: 'in', value: ['rain', 'drizzle'] }, 'binary', { kind: 'member', op: 'in', values: ['rain', 'drizzle'] }],
    [{ expression: 'weather == "rain"' }, 'binary', { column: 'weather', kind: 'equals', op: 'eq', value: 'rain' }],
    [{ expression: 'weather not in ["sun", "fog"]' }, 'binary', { column: 'weather', kind: 'member', op: 'notIn', values: ['sun', 'fog'] }],
    [{ expression: 'temp_max >= 20.5' }, 'binary', { column: 'temp_max', kind: 'compare', op: 'gte', value: 20.5 }],
    [{ expression: 'wet != true' }, 'binary', { column: 'wet', kind: 'equals', op: 'ne', value: true }],
    [{ column: 'is_late' }, 'binary', { column: 'is_late', kind: 'indicator' }],
    [{ column: 'weather', task: 'multiclass' }, 'multiclass', { column: 'weather' }],
    [{ column: 'weather', task: 'multiclass', classes: ['rain', 'sun', 'fog'] }, 'multiclass', { classes: ['rain', 'sun', 'fog'] }],
    [{ column: 'temp_max', task: 'regression' }, 'regression', { column: 'temp_max' }],
  ])('%j is %s', (input, task, shape) => {
    const parsed = labelSchema.parse(input);
    expect(labelTask(parsed)).toBe(task);
    expect(resolveLabel(parsed)).toMatchObject({ task, name: 'label', ...shape });
  });

  it('adds no field to a label written the old way, so cached steps and histories see the same parameters', () => {
    for (const file of ['flight-delay', 'flight-delay-builtin', 'flight-delay-canary', 'flight-delay-bad-canary']) {
      const spec = YAML.parse(readFileSync(path.join(__dirname, `../../pipelines/${file}.yaml`), 'utf8'));
      const ingest = spec.steps.find((s: { kind: string }) => s.kind === 'ingest');
      expect(ingestParamsSchema.parse(ingest.with).label).toEqual({ name: 'label', column: 'delay', op: 'gt', value: 15 });
    }
    expect(labelSchema.parse({ column: 'is_late' })).toEqual({ name: 'label', column: 'is_late' });
  });
});

describe('label spec: refusals name the field and the value', () => {
  it.each([
    [{ column: 'delay', op: 'gt' }, /^value: give op and value together, or neither/],
    [{ column: 'delay', value: 3 }, /^op: give op and value together, or neither/],
    [{ column: 'weather', op: 'gt', value: 'rain' }, /^value: op gt compares numbers; got "rain"/],
    [{ column: 'weather', op: 'in', value: 'rain' }, /^value: op in needs a list such as \["rain", "drizzle"\]; got "rain"/],
    [{ column: 'weather', op: 'eq', value: ['rain'] }, /^value: op eq takes one value; use op in for a list/],
    [{ column: 'weather', op: 'in', value: ['rain', 3] }, /^value: op in needs a list of all numbers or all strings/],
    [{ column: 'weather', op: 'in', value: [] }, /^value: /],
    [{ column: 'weather', op: 'eq', value: 'rain', task: 'multiclass' }, /^task: a label with op eq .* a binary task/],
    [{ column: 'temp', task: 'regression', classes: ['a', 'b'] }, /^classes: classes are for task: multiclass/],
    [{ column: 'weather', task: 'multiclass', classes: ['a', 'a'] }, /^classes: each class may be listed once/],
    [{ column: 'weather', task: 'multiclass', classes: ['a'] }, /^classes: /],
    [{ column: 'weather', op: 'eq', value: 'rain\u0000' }, /^value: .*control characters are not allowed/],
    [{ column: 'weather', op: 'eq', value: 'x'.repeat(300) }, /^value: .*at most 256 characters/],
    [{ column: 'delay', op: 'gt', value: Infinity }, /^value: /],
    [{ column: 'weather"; DROP TABLE t; --', op: 'eq', value: 'rain' }, /^column: expected a column name/],
    [{ expression: 'weather == rain' }, /^expression: label expression value "rain" is not a literal; quote text/],
    [{ expression: 'weather ~ "rain"' }, /^expression: cannot read label expression/],
    [{ expression: 'weather in [["rain"]]' }, /^expression: label expression value .* must be a number, a string/],
    [{ expression: 'weather == "rain"', column: 'weather' }, /^expression: give either expression or column\/op\/value, not both/],
    [{ expression: 'weather == "rain"', task: 'regression' }, /^task: a label with op eq/],
    [{ op: 'eq', value: 1 }, /^column: name the label column/],
    [{ column: 'delay', op: 'between', value: 1 }, /^op: /],
  ])('%j', (input, expected) => {
    const problems = messages(input);
    expect(problems.some((p) => expected.test(p)), problems.join('\n')).toBe(true);
    expect(() => resolveLabel(input as never)).toThrow(RangeError);
  });
});

describe('parseLabelExpression', () => {
  it.each([
    ['delay > 15', { column: 'delay', op: 'gt', value: 15 }],
    ['  delay<=-2.5e1 ', { column: 'delay', op: 'lte', value: -25 }],
    ['code = 3', { column: 'code', op: 'eq', value: 3 }],
    ['weather <> "sun"', { column: 'weather', op: 'ne', value: 'sun' }],
    ['weather IN ["rain","drizzle"]', { column: 'weather', op: 'in', value: ['rain', 'drizzle'] }],
    ['name == "it\'s \\"quoted\\""', { column: 'name', op: 'eq', value: 'it\'s "quoted"' }],
  ])('%s', (text, want) => {
    expect(parseLabelExpression(text)).toEqual(want);
  });
});
