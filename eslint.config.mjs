// @ts-check
/**
 * Lint guards what the type checker cannot: the workflow sandbox's import rules, promises nobody
 * awaits, console output outside entry points, type-only imports, and folder cycles.
 * `npm run lint`; `make test` runs it before vitest.
 */
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Programs whose job is to print: the console is their user interface. */
const ENTRY_POINTS = ['src/worker.ts', 'src/api/main.ts', 'src/serving/main.ts', 'src/cli/**/*.ts'];
/** src is what the image ships: it never imports tools/ (demo, simulation, traffic replay). */
const NOT_TOOLS = { group: ['**/tools', '**/tools/**'], message: 'src is what the image ships; tools/ may import src, never the other way' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tools/**', '.venv/**', 'docs/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-console': 'error',
    },
  },
  { files: [...ENTRY_POINTS, 'tools/**', 'test/**', 'bench/**', 'scripts/**'], rules: { 'no-console': 'off' } },
  {
    // What the image ships: src without dev dependencies and without tools/ (demo, simulation, traffic replay).
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false, optionalDependencies: false, peerDependencies: false }],
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NOT_TOOLS] }],
    },
  },
  // Response bodies in HTTP tests are read field by field; typing each would only restate the assertions.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    // The workflow sandbox: deterministic code, bundled by webpack for the worker's V8 isolates.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            NOT_TOOLS,
            { regex: '^node:', message: 'workflows run in a sandbox without Node built-ins; do I/O in an activity' },
            { group: ['fs', 'path', 'crypto', 'child_process', 'os', 'http', 'https', 'net', 'worker_threads'], message: 'workflows run in a sandbox without Node built-ins; do I/O in an activity' },
            { group: ['zod', 'zod/*'], message: 'zod stays out of the workflow bundle (its cost is paid per run); validate in an activity' },
            { group: ['pino', 'pino/*'], message: "workflows log through @temporalio/workflow's replay-aware log" },
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'workflows may only `import type` activities (proxyActivities<...>)' },
          ],
        },
      ],
    },
  },
);
