/**
 * Inputs shared by the registry's tests: one valid registration and alias move, which each
 * test adjusts with overrides so it states only what it is about.
 */
import type { ArtifactRef } from '../../src/pipeline/types';
import type { ModelRegistry, RegisterVersionInput, SetAliasInput } from '../../src/registry/model-registry';

export function artifact(seed: string): ArtifactRef {
  const sha256 = seed.padEnd(64, '0');
  return { uri: `artifact://sha256/${sha256}`, sha256, bytes: 1234, name: 'model', mediaType: 'application/onnx' };
}

export function registration(overrides: Partial<RegisterVersionInput> = {}): RegisterVersionInput {
  return {
    model: 'churn',
    idempotencyKey: 'wf-1/register',
    artifact: artifact('aa'),
    metrics: { auc: 0.91, logloss: 0.32 },
    params: { maxDepth: 6, learningRate: 0.1 },
    lineage: {
      dataDigest: 'd'.repeat(64),
      specDigest: 's'.repeat(64),
      workflowId: 'wf-1',
      runId: 'run-1',
      pipeline: 'churn-daily',
      trainer: 'builtin.logistic',
      seed: 42,
    },
    ...overrides,
  };
}

export function move(overrides: Partial<SetAliasInput> = {}): SetAliasInput {
  return { model: 'churn', alias: 'champion', version: 1, expectedVersion: null, actor: 'alice', reason: 'first model', ...overrides };
}

/** Registers versions 1..n of `churn` with distinct keys. */
export async function registerVersions(registry: ModelRegistry, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await registry.registerVersion(registration({ idempotencyKey: `wf-${i}/register` }));
}
