/**
 * The Prometheus alert rules and limits in deploy/prometheus, checked by promtool (Debian's
 * prometheus package, scripts/promtool.sh): syntax, the config that loads them, and promtool's
 * unit tests of every alert on input series (slipway-rules.test.yml). Then a real model server is
 * scraped so every metric a rule or the dashboard's model-server row reads is one it exports.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PrometheusPipelineMetrics } from '../../src/observability/pipeline-metrics';
import type { ModelServer } from '../../src/serving/model-server';
import { call, createServingWorld, flight, LABELER_TOKEN, startServer, tinyFlightsModel, type ServingWorld } from '../serving/serving-fixtures';
import { dashboardMetricNames, metricFamilies } from './prometheus-text';

const run = promisify(execFile);
const DEPLOY = path.join(__dirname, '..', '..', 'deploy', 'prometheus');
const PROMTOOL = process.env.SLIPWAY_PROMTOOL ?? '/usr/bin/promtool';
const RULE_FILES = ['slipway-limits.yml', 'slipway-rules.yml'];

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args, { cwd: DEPLOY, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw new Error(`promtool could not run (${e.message}); run scripts/promtool.sh (make promtool)`);
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string | number }[] }[];
}
const rules = (file: string): RuleFile => parse(readFileSync(path.join(DEPLOY, file), 'utf8')) as RuleFile;

/** Metric names an expression reads: identifiers followed by `{`, `[`, `)` or an operator, minus functions, keywords and labels. */
function exprMetricNames(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '').replace(/"[^"]*"/g, '');
  return [...stripped.matchAll(/\b(slipway_[a-z0-9_]+|up)\b/g)].map((m) => m[1]);
}

describe('Prometheus alert rules (promtool)', () => {
  it('are valid rule files, loaded by the shipped Prometheus config', async () => {
    const check = await promtool('check', 'rules', ...RULE_FILES);
    expect(check.output).toContain('SUCCESS');
    expect(check.code).toBe(0);
    const config = await promtool('check', 'config', 'prometheus.yml');
    expect(config.code, config.output).toBe(0);
    expect(config.output).toContain(`SUCCESS: ${RULE_FILES.length} rule files found`);
  });

  it('fire, and stay quiet, as promtool’s unit tests on input series expect', async () => {
    const result = await promtool('test', 'rules', 'slipway-rules.test.yml');
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
  });

  it('have every alert covered by a promtool unit test', () => {
    const alerts = rules('slipway-rules.yml').groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const tests = parse(readFileSync(path.join(DEPLOY, 'slipway-rules.test.yml'), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const firing = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
  });

  it('would catch a broken expression (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-rules-'));
    try {
      const file = path.join(dir, 'broken.yml');
      const text = readFileSync(path.join(DEPLOY, 'slipway-rules.yml'), 'utf8').replace('[5m]))\n', '[5m])\n');
      await writeFile(file, text);
      const broken = await promtool('check', 'rules', file);
      expect(broken.code).not.toBe(0);
      expect(broken.output).toMatch(/parse error|unclosed/i);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
});

describe('metric names the rules and the dashboard read, against a real model server’s /metrics', () => {
  let world: ServingWorld;
  let server: ModelServer;
  let base: string;
  let exported: Map<string, string>;

  beforeAll(async () => {
    world = await createServingWorld();
    const champion = (await world.register('alerts', tinyFlightsModel({ bias: -1, distance: 1 }))).version;
    const canary = (await world.register('alerts', tinyFlightsModel({ distance: 2 }))).version;
    // Process metrics on, as `npm run serve` runs it.
    ({ server, base } = await startServer(world, { rateLimitPerSecond: 0 }, { processMetrics: true }));
    const put = await call(base, 'PUT', '/admin/v1/models/alerts/deployment', { versions: [{ version: champion, weight: 0.5 }, { version: canary, weight: 0.5 }] });
    expect(put.status).toBe(200);
    for (let i = 0; i < 20; i++) {
      const res = await call(base, 'POST', '/v1/models/alerts/predict', { row: flight(200 + i * 150) }, { token: null });
      expect(res.status).toBe(200);
      const fb = await call(base, 'POST', '/v1/models/alerts/feedback', { requestId: res.body.requestId, label: i % 2 }, { token: LABELER_TOKEN });
      expect(fb.status).toBe(200);
    }
    // One failed load and one rejection, so those series exist too.
    expect((await call(base, 'PUT', '/admin/v1/models/alerts/deployment', { versions: [{ version: 99, weight: 1 }] })).status).toBe(422);
    expect((await call(base, 'POST', '/v1/models/alerts/feedback', { requestId: 'x', label: 1 }, { token: null })).status).toBe(401);
    const scrape = await call(base, 'GET', '/metrics', undefined, { token: null });
    expect(scrape.status).toBe(200);
    exported = metricFamilies(scrape.body as string);
    for (const [name, type] of metricFamilies(await new PrometheusPipelineMetrics(false).registry.metrics())) exported.set(name, type);
  });

  afterAll(async () => {
    await server?.app.close();
    await world?.close();
  });

  it('exports the Node process metrics once prefixed (slipway_serving_process_…, not …_process_process_…)', () => {
    expect(exported.get('slipway_serving_process_cpu_seconds_total')).toBe('counter');
    expect(exported.get('slipway_serving_process_resident_memory_bytes')).toBe('gauge');
    expect(exported.get('slipway_serving_nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
    expect([...exported.keys()].filter((n) => n.includes('process_process_'))).toEqual([]);
  });

  it('reads only metrics the model server or the worker exports, in every alert and limit rule', () => {
    const used = RULE_FILES.flatMap((f) => rules(f).groups.flatMap((g) => g.rules.flatMap((r) => exprMetricNames(String(r.expr)))));
    const slipway = [...new Set(used.filter((n) => n !== 'up'))].sort();
    expect(slipway).toEqual(
      expect.arrayContaining([
        'slipway_serving_live_auc',
        'slipway_serving_live_accuracy',
        'slipway_serving_traffic_share',
        'slipway_serving_requests_total',
        'slipway_validation_drift_share',
        'slipway_validation_drift_share_limit',
      ]),
    );
    expect(slipway.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('reads only exported metrics in the dashboard’s model-server row', () => {
    const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'deploy', 'grafana', 'slipway-dashboard.json'), 'utf8'));
    const serving = dashboardMetricNames(dashboard).filter((n) => n.startsWith('slipway_serving_') || n.startsWith('slipway_validation_'));
    expect(serving.length).toBeGreaterThanOrEqual(10);
    expect(serving.filter((n) => !exported.has(n))).toEqual([]);
  });
});
