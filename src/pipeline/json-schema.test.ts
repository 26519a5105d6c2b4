import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineInputJsonSchema } from './json-schema';

describe('pipeline input JSON Schema', () => {
  it('is committed in docs/ exactly as the zod schemas produce it (run `npm run schema` after changing them)', () => {
    const committed = JSON.parse(readFileSync(path.join(__dirname, '../../docs/pipeline-input.schema.json'), 'utf8'));
    expect(committed).toEqual(pipelineInputJsonSchema());
  });

  it('describes every step kind with its parameters', () => {
    const text = JSON.stringify(pipelineInputJsonSchema());
    for (const kind of ['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']) expect(text).toContain(`"const":"${kind}"`);
    expect(text).toContain('holdoutFraction');
  });
});
