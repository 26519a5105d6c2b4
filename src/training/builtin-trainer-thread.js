'use strict';
// Worker-thread entry of the built-in trainer. It is plain CommonJS because Node starts a
// Worker from a file without any loader: next to the TypeScript sources (tsx, vitest) it
// registers tsx and loads the .ts body; next to compiled output it loads the .js body.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, 'builtin-trainer-worker.ts');
if (existsSync(source)) {
  require('tsx/cjs/api').register();
  require(source);
} else {
  require('./builtin-trainer-worker.js');
}
