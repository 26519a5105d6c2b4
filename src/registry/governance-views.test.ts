import { expect, it } from 'vitest';
import { compareVersions, formatComparison, metricHistory } from './compare-versions';
import { formatLineage, versionLineage } from './lineage';
import { loadModelCard, renderModelCard } from './model-card';
import { isRegistryError } from './registry-error';
import { artifact, move, registration } from '../../test/support/registry-test-fixtures';
import { SqlModelRegistry } from './sql-model-registry';
import { describeEachBackend, useTestStore } from '../../test/support/test-backends';

const EVAL_URI = `artifact://sha256/${'e'.repeat(64)}`;
const VALIDATION_URI = `artifact://sha256/${'f'.repeat(64)}`;

/** Three versions of `churn` as the pipeline registers them; v2 became champion, then v3. */
async function history(registry: SqlModelRegistry): Promise<void> {
  const metrics: Record<string, number>[] = [
    { auc: 0.8, logLoss: 0.5, accuracy: 0.7 },
    { auc: 0.85, logLoss: 0.45 },
    { auc: 0.84, logLoss: 0.4, accuracy: 0.75 },
  ];
  for (const [i, m] of metrics.entries()) {
    await registry.registerVersion(
      registration({
        idempotencyKey: `wf-${i + 1}/register`,
        metrics: m,
        artifact: { ...artifact(`a${i}`), meta: { label: 'churned', features: { numeric: ['tenure'], categorical: ['plan'] } } },
        lineage: {
          ...registration().lineage,
          workflowId: `wf-${i + 1}`,
          codeVersion: 'c0ffee1234567890',
          dataWindow: { from: '2025-01-01', to: '2025-02-01' },
          blessed: true,
          'validation-report': VALIDATION_URI,
          'evaluation-report': EVAL_URI,
        },
        description: i === 2 ? 'Churn within 30 days, from billing and usage.' : undefined,
      }),
    );
  }
  await registry.setAlias(move({ version: 2, actor: 'workflow:wf-2', reason: 'blessed' }));
  await registry.setAlias(move({ version: 3, expectedVersion: 2, actor: 'alice', reason: 'canary passed', evidence: { canary: 'ok' } }));
  await registry.setAlias(move({ alias: 'shadow', version: 2, actor: 'bob', reason: 'keep for comparison' }));
}

describeEachBackend('lineage, comparison and model cards', (backend) => {
  const store = useTestStore(backend);
  const open = async () => new SqlModelRegistry(await store().open());

  it('assembles lineage from data snapshot to deployments', async () => {
    const registry = await open();
    await history(registry);
    const lineage = (await versionLineage(registry, 'churn', 2))!;

    expect(lineage).toMatchObject({
      model: 'churn',
      version: 2,
      data: { digest: 'd'.repeat(64), window: { from: '2025-01-01', to: '2025-02-01' }, label: 'churned', features: { numeric: ['tenure'] } },
      validation: { report: VALIDATION_URI },
      training: { pipeline: 'churn-daily', workflowId: 'wf-2', runId: 'run-1', trainer: 'builtin.logistic', codeVersion: 'c0ffee1234567890' },
      evaluation: { report: EVAL_URI, metrics: { auc: 0.85, logLoss: 0.45 }, blessed: true },
      aliases: ['shadow'],
    });
    expect(lineage.deployments.map((d) => [d.alias, d.actor, d.until === null])).toEqual([
      ['champion', 'workflow:wf-2', false],
      ['shadow', 'bob', true],
    ]);
    expect(formatLineage(lineage)).toContain('deployments champion');
    expect(await versionLineage(registry, 'churn', 9)).toBeUndefined();
  });

  it('compares versions metric by metric, marking the best and the change', async () => {
    const registry = await open();
    await history(registry);
    const comparison = await compareVersions(registry, 'churn', [1, 2, 3]);

    expect(comparison.aliases).toEqual([[], ['shadow'], ['champion']]);
    expect(comparison.rows).toEqual([
      { metric: 'accuracy', values: [0.7, null, 0.75], best: 3, change: expect.closeTo(0.05, 10) },
      { metric: 'auc', values: [0.8, 0.85, 0.84], best: 2, change: expect.closeTo(0.04, 10) },
      { metric: 'logLoss', values: [0.5, 0.45, 0.4], best: 3, change: expect.closeTo(-0.1, 10) },
    ]);
    const table = formatComparison(comparison).split('\n');
    expect(table[0]).toMatch(/^metric\s+v1\s+v2 \(shadow\)\s+v3 \(champion\)\s+change$/);
    expect(table[2]).toMatch(/^auc\s+0\.8000\s+0\.8500 \*\s+0\.8400\s+\+0\.04000$/);

    const err = await compareVersions(registry, 'churn', [1, 7]).catch((e: unknown) => e);
    expect(isRegistryError(err, 'unknown-version')).toBe(true);
  });

  it('lists the metric history of a model, version by version', async () => {
    const registry = await open();
    await history(registry);
    const h = await metricHistory(registry, 'churn', ['auc', 'accuracy']);
    expect(h.points.map((p) => [p.version, p.values])).toEqual([
      [1, { auc: 0.8, accuracy: 0.7 }],
      [2, { auc: 0.85, accuracy: null }],
      [3, { auc: 0.84, accuracy: 0.75 }],
    ]);
    expect((await metricHistory(registry, 'churn')).metrics).toEqual(['accuracy', 'auc', 'logLoss']);
  });

  it('renders a model card from the registry and the reports it links to', async () => {
    const registry = await open();
    await history(registry);
    const reports: Record<string, unknown> = {
      [EVAL_URI]: {
        champion: { version: 2, metrics: { auc: 0.85 } },
        gates: [
          { metric: 'auc', formula: 'candidate.auc', observed: 0.84, min: 0.6, passed: true },
          { metric: 'auc', formula: 'candidate.auc - champion.auc', observed: -0.01, min: -0.02, passed: true },
        ],
        slices: [
          { column: 'plan', value: 'pro', rows: 1200, metrics: { auc: 0.81 } },
          { column: 'plan', value: 'free', rows: 30, metrics: { auc: null } },
        ],
      },
      [VALIDATION_URI]: { counts: { checks: 12, failed: 0, warnings: 1 }, notes: ['champion data is gone; drift skipped'] },
    };
    const card = (await loadModelCard(registry, 'churn', 3, {
      readReport: async (uri) => reports[uri],
      spec: { knownLimits: ['Not trained on enterprise accounts.'] },
    }))!;

    expect(card).toContain('# Model card: churn v3');
    expect(card).toContain('Churn within 30 days, from billing and usage.');
    expect(card).toContain('| Aliases now | champion |');
    expect(card).toContain('- Window: 2025-01-01 to 2025-02-01 (end exclusive)');
    expect(card).toContain('- Features: numeric: `tenure`; categorical: `plan`');
    expect(card).toContain('- Validation: 12 checks, 0 failed, 1 warnings');
    expect(card).toContain('| metric | value | champion at evaluation |');
    expect(card).toContain('| auc | 0.8400 | 0.8500 |');
    expect(card).toContain('| plan=pro | 1200 | 0.8100 |');
    expect(card).toContain('| candidate.auc - champion.auc | -0.01000 | ≥ -0.02000 | passed |');
    expect(card).toContain('- Not trained on enterprise accounts.');
    expect(card).toContain('- Validation: champion data is gone; drift skipped');
    expect(card).toContain('behaviour outside that window is untested');
  });

  it('still renders a card when reports cannot be read, saying what is missing', async () => {
    const registry = await open();
    await history(registry);
    const card = (await loadModelCard(registry, 'churn', 1, {
      readReport: async () => {
        throw new Error('sha256 mismatch');
      },
    }))!;
    expect(card).toContain('_Gate details unavailable; the evaluation blessed this version._');
    expect(card).toContain(`The report ${EVAL_URI} could not be read (sha256 mismatch)`);
    expect(await loadModelCard(registry, 'churn', 9)).toBeUndefined();
  });
});

it('renders a card for a version with no metrics, window or reports', () => {
  const v = {
    model: 'm',
    version: 1,
    artifact: artifact('aa'),
    metrics: {},
    params: {},
    lineage: registration().lineage,
    tags: { limits: 'Toy model.' },
    description: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    idempotencyKey: 'k',
  };
  const card = renderModelCard({
    version: v,
    lineage: {
      model: 'm',
      version: 1,
      createdAt: v.createdAt,
      data: { digest: 'd', window: null, features: null, label: null },
      validation: { report: null },
      training: { pipeline: 'p', workflowId: 'w', runId: 'r', specDigest: 's', trainer: 't', trainerVersion: null, codeVersion: null, params: {}, artifact: v.artifact.uri },
      evaluation: { report: null, metrics: {}, blessed: null },
      imported: null,
      deployments: [],
      aliases: [],
    },
  });
  expect(card).toContain('_No metrics were recorded._');
  expect(card).toContain('_No gate results were available._');
  expect(card).toContain('- Toy model.');
  expect(card).toContain('The data window was not recorded');
});
