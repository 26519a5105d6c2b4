/** Writes docs/pipeline-input.schema.json and docs/pipeline.schema.json from the zod schemas (npm run schema). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipelineFileJsonSchema, pipelineInputJsonSchema } from '../src/pipeline/json-schema';

const docs = path.join(__dirname, '..', 'docs');
for (const [name, schema] of [
  ['pipeline-input.schema.json', pipelineInputJsonSchema()],
  ['pipeline.schema.json', pipelineFileJsonSchema()],
] as const) {
  const file = path.join(docs, name);
  writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${file}`);
}
