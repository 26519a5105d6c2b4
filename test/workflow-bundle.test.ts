import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../src/workflows-path';

describe('workflow bundle', () => {
  it('bundles the workflows without Node built-ins or side-effecting modules', async () => {
    // bundleWorkflowCode fails on any (transitive) import of a Node module such as fs or crypto.
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
    expect(code).toContain('pipeline');
    expect(code).not.toMatch(/require\(["'](node:)?(fs|path|crypto|child_process)["']\)/);
    // zod and its schemas cost more CPU per workflow run than the workflow itself (bench:load profile).
    expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
    expect(code).not.toMatch(/node_modules[\\/]pino[\\/]/);
  }, 120_000);
});
