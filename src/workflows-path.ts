/**
 * Where the workflow bundle's entry lives; kept apart so bundling never loads activities.
 * Resolved by hand because under tsx and vitest the entry is a `.ts` file that
 * `require.resolve` does not know about.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const dir = path.join(__dirname, 'workflows');
export const WORKFLOWS_PATH = ['index.ts', 'index.js'].map((f) => path.join(dir, f)).find((f) => existsSync(f)) ?? dir;
