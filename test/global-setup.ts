/**
 * Runs once before all test files: makes sure a Temporal CLI (the dev server) exists,
 * building it with Go when needed, and hands its path to the tests.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): void {
  const script = path.join(__dirname, '..', 'scripts', 'temporal-cli.sh');
  const cli = execFileSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  project.provide('temporalCli', cli);
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalCli: string;
  }
}
