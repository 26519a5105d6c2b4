import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineText, readPipelineFile } from './pipeline-file';

describe('reading a pipeline file for slipway run -f', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-pipeline-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('returns the mapping of a YAML file, comments and anchors resolved', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, '# yaml-language-server: $schema=x.json\nname: p\nmodel: m\nbase: &w { from: "2001-01-01" }\nsteps:\n  - { id: ingest, kind: ingest, with: { window: *w } }\n');
    expect(await readPipelineFile(file)).toEqual({
      name: 'p',
      model: 'm',
      base: { from: '2001-01-01' },
      steps: [{ id: 'ingest', kind: 'ingest', with: { window: { from: '2001-01-01' } } }],
    });
  });

  it('reads JSON too (JSON is YAML)', () => {
    expect(parsePipelineText('{"name": "p", "steps": []}', 'p.json')).toEqual({ name: 'p', steps: [] });
  });

  it.each([
    ['a missing file', 'missing.yaml', undefined, /^-f .*missing\.yaml: no such file$/],
    ['a folder', '', undefined, /: is a folder; give the pipeline file itself/],
    ['an empty file', 'empty.yaml', '', /: the file is empty; a pipeline file is a mapping with name, model and steps/],
    ['a list', 'list.yaml', '- a\n- b\n', /: expected a mapping with name, model and steps at the top level, found a list/],
    ['a scalar', 'scalar.yaml', 'hello\n', /found a string/],
    ['broken YAML', 'broken.yaml', 'name: p\nsteps:\n  - id: [unclosed\n', /broken\.yaml: not valid YAML at line \d+, column \d+: /],
    ['a duplicate key', 'dup.yaml', 'name: a\nname: b\n', /dup\.yaml: not valid YAML at line 2, column 1: Map keys must be unique/],
    ['a file over the input limit', 'big.yaml', `name: p\ndescription: "${'x'.repeat(300 * 1024)}"\n`, /big\.yaml: \d+ bytes is larger than a pipeline input may be \(262144 bytes, limit maxInputBytes\)/],
  ])('refuses %s, naming the file', async (_what, name, content, message) => {
    const file = path.join(dir, name);
    if (content !== undefined) await writeFile(file, content);
    await expect(readPipelineFile(file)).rejects.toThrow(message);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    expect(() => parsePipelineText(lines.join('\n'), 'bomb.yaml')).toThrow(/bomb\.yaml: not valid YAML: .*[Ee]xcessive alias count/);
  });

  it('names a folder given with a trailing slash', async () => {
    await mkdir(path.join(dir, 'sub'));
    await expect(readPipelineFile(`${path.join(dir, 'sub')}/`)).rejects.toThrow(/sub\/: is a folder; give the pipeline file itself, e.g. .*sub\/my-pipeline\.yaml/);
  });
});
