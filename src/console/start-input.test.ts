import { describe, expect, it } from 'vitest';
import { startInput } from './start-input';

const refusal = (form: Record<string, string>): { message: string; statusCode: number } => {
  try {
    startInput(form);
  } catch (err) {
    return { message: (err as Error).message, statusCode: (err as { statusCode: number }).statusCode };
  }
  throw new Error('expected a refusal');
};

describe('the start form', () => {
  it('reads an uploaded YAML or JSON file, or a pasted spec, as an inline spec', () => {
    expect(startInput({ specFile: 'name: a\nmodel: m\nsteps: []\n', 'specFile.filename': 'a.yaml' })).toEqual({ spec: { name: 'a', model: 'm', steps: [] } });
    expect(startInput({ specFile: '{"name":"b","steps":[]}', 'specFile.filename': 'b.json', spec: '  ' })).toEqual({ spec: { name: 'b', steps: [] } });
    expect(startInput({ spec: 'name: c\n' })).toEqual({ spec: { name: 'c' } });
  });

  it('reads a named pipeline with JSON overrides when no spec is given', () => {
    expect(startInput({ pipeline: 'flight-delay', overrides: '{"train":{"params":{"seed":3}}}' })).toEqual({ pipeline: 'flight-delay', overrides: { train: { params: { seed: 3 } } } });
    expect(startInput({ pipeline: 'flight-delay', overrides: ' ' })).toEqual({ pipeline: 'flight-delay' });
  });

  it.each([
    [{ specFile: 'steps: [unclosed\n', 'specFile.filename': 'broken.yaml' }, 'specFile (broken.yaml): not YAML or JSON (Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:)'],
    [{ specFile: 'a: 1\n b: 2\n', 'specFile.filename': 'nested.yml' }, 'specFile (nested.yml): not YAML or JSON (Nested mappings are not allowed in compact mappings at line 1, column 4:)'],
    [{ spec: 'a: [1\n' }, 'spec: not YAML or JSON ('],
    [{ specFile: ' \n', 'specFile.filename': 'empty.yaml' }, 'specFile: the file "empty.yaml" is empty'],
    [{ specFile: 'name: a\n', 'specFile.filename': 'a.yaml', spec: 'name: b\n' }, 'spec: give the spec pasted or as a file, not both'],
    [{ pipeline: 'flight-delay', overrides: '{train:' }, 'overrides: not JSON ('],
  ])('refuses %j with a 400 naming the field, the file and what is wrong', (form, message) => {
    expect(refusal(form)).toEqual({ message: expect.stringContaining(message), statusCode: 400 });
  });
});
