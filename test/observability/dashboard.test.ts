/**
 * The Grafana dashboard reads Slipway metrics by the names the worker and the model server register
 * (the e2e test checks the SDK's too; alert-rules.test.ts checks the model-server row against a real /metrics).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES, PrometheusPipelineMetrics } from '../../src/observability/pipeline-metrics';
import { LiveStats } from '../../src/serving/live-stats';
import { ServingMetrics } from '../../src/serving/serving-metrics';
import { dashboardMetricNames, metricFamilies } from './prometheus-text';

const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'deploy', 'grafana', 'slipway-dashboard.json'), 'utf8'));

describe('deploy/grafana/slipway-dashboard.json', () => {
  it('queries every Slipway metric, and only names the registry exposes', async () => {
    const exposed = metricFamilies(await new PrometheusPipelineMetrics().registry.metrics());
    const serving = new ServingMetrics(new LiveStats({ retentionSeconds: 60, labelWindow: 10 }));
    for (const [name, type] of metricFamilies(await serving.metrics())) exposed.set(name, type);
    const used = dashboardMetricNames(dashboard).filter((n) => n.startsWith('slipway_') || n.startsWith('process_') || n.startsWith('nodejs_'));
    expect(used.filter((n) => !exposed.has(n))).toEqual([]);
    const families = new Set(used.map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect(Object.values(METRIC_NAMES).filter((n) => !families.has(n))).toEqual([]);
  });

  it('gives every panel a unique id and a Prometheus query against the chosen data source', () => {
    const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row');
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(p.targets.length).toBeGreaterThan(0);
      expect(p.datasource.uid).toBe('${datasource}');
    }
  });
});
