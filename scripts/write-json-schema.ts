/** Writes docs/pipeline-input.schema.json from the zod schemas (npm run schema). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipelineInputJsonSchema } from '../src/pipeline/json-schema';

const file = path.join(__dirname, '..', 'docs', 'pipeline-input.schema.json');
writeFileSync(file, `${JSON.stringify(pipelineInputJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
