/**
 * Runs once per vitest project before its test files: finds (or fetches, or builds) the Temporal
 * server that project's tests start, and hands its path to them. The unit tier's workflow tests
 * run on the time-skipping test server (scripts/temporal-test-server.sh); the integration tier on
 * the dev server inside the Temporal CLI (scripts/temporal-cli.sh, built with Go when missing).
 * Each project asks only for its own, so `npm run test:unit` never builds the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

const script = (name: string): string =>
  execFileSync('bash', [path.join(__dirname, '..', 'scripts', name)], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();

export default function setup(project: TestProject): (() => void) | undefined {
  if (project.name !== 'unit') {
    project.provide('temporalCli', script('temporal-cli.sh'));
    return undefined;
  }
  project.provide('temporalTestServer', script('temporal-test-server.sh'));
  // The workflow tier's files share one workflow bundle per run (test/workflows/workflow-tier.ts).
  const bundles = mkdtempSync(path.join(os.tmpdir(), 'slipway-workflow-bundle-'));
  project.provide('workflowBundleDir', bundles);
  return () => rmSync(bundles, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Temporal CLI (dev server); provided to the integration project. */
    temporalCli: string;
    /** The time-skipping test server's launcher; provided to the unit project. */
    temporalTestServer: string;
    /** A folder for this run's shared workflow bundle; provided to the unit project. */
    workflowBundleDir: string;
  }
}
