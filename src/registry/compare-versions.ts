/**
 * Side-by-side metrics of several versions (`slipway models compare churn 3 5 7`) and a
 * model's metric history across all its versions. Works on any {@link ModelRegistry}.
 */
import type { ModelRegistry, ModelVersion } from './model-registry';
import { registryError } from './registry-error';
import { assertVersion } from './registry-input';

/** Metrics where a smaller value is better; every other metric is better when larger. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['logLoss', 'logloss', 'brier', 'ece', 'msPerRow', 'singleRowMs', 'modelBytes']);

export interface ComparisonRow {
  metric: string;
  /** One value per compared version, in the order asked; null where a version lacks the metric. */
  values: (number | null)[];
  /** The version with the best value, or null when no version has one. */
  best: number | null;
  /** Last minus first value, when both exist. */
  change: number | null;
}

export interface VersionComparison {
  model: string;
  versions: number[];
  /** Aliases pointing at each version now, in the same order. */
  aliases: string[][];
  rows: ComparisonRow[];
}

/**
 * Compares `versions` of `model` on every metric any of them has, metrics sorted by name.
 * @throws RegistryError `unknown-version` naming the first version that does not exist.
 */
export async function compareVersions(registry: ModelRegistry, model: string, versions: readonly number[]): Promise<VersionComparison> {
  if (versions.length === 0) throw registryError('invalid-input', 'Invalid registry input: versions must name at least one version', { field: 'versions' });
  versions.forEach((v, i) => assertVersion(`versions[${i}]`, v));
  const found: ModelVersion[] = [];
  for (const version of versions) {
    const v = await registry.getVersion(model, version);
    if (!v) throw registryError('unknown-version', `Model ${model} has no version ${version}`, { model, version });
    found.push(v);
  }
  const current = (await registry.listModels()).find((m) => m.model === model)?.aliases ?? {};
  const metrics = [...new Set(found.flatMap((v) => Object.keys(v.metrics)))].sort();
  return {
    model,
    versions: [...versions],
    aliases: versions.map((v) => Object.keys(current).filter((alias) => current[alias] === v).sort()),
    rows: metrics.map((metric) => {
      const values = found.map((v) => (typeof v.metrics[metric] === 'number' ? v.metrics[metric] : null));
      return { metric, values, best: bestVersion(metric, versions, values), change: change(values) };
    }),
  };
}

export interface MetricHistoryPoint {
  version: number;
  createdAt: string;
  /** Every metric of `metrics`, null where this version lacks it. */
  values: Record<string, number | null>;
}

export interface MetricHistory {
  model: string;
  metrics: string[];
  /** One point per version, oldest first. */
  points: MetricHistoryPoint[];
}

/** Every version's metrics in registration order; only `metrics` when given. */
export async function metricHistory(registry: ModelRegistry, model: string, metrics?: readonly string[]): Promise<MetricHistory> {
  const versions = await registry.listVersions(model);
  const names = metrics ? [...metrics] : [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))].sort();
  return {
    model,
    metrics: names,
    points: versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      values: Object.fromEntries(names.map((n) => [n, typeof v.metrics[n] === 'number' ? v.metrics[n] : null])),
    })),
  };
}

/** The comparison as a fixed-width text table, best value of each row marked with `*`. */
export function formatComparison(c: VersionComparison): string {
  const header = ['metric', ...c.versions.map((v, i) => `v${v}${c.aliases[i].length ? ` (${c.aliases[i].join(',')})` : ''}`), 'change'];
  const body = c.rows.map((r) => [
    r.metric,
    ...r.values.map((value, i) => (value === null ? '—' : `${formatNumber(value)}${c.versions[i] === r.best && c.versions.length > 1 ? ' *' : ''}`)),
    r.change === null ? '' : `${r.change >= 0 ? '+' : ''}${formatNumber(r.change)}`,
  ]);
  const widths = header.map((_, col) => Math.max(...[header, ...body].map((row) => row[col].length)));
  return [header, ...body].map((row) => row.map((cell, col) => cell.padEnd(widths[col])).join('  ').trimEnd()).join('\n');
}

function bestVersion(metric: string, versions: readonly number[], values: (number | null)[]): number | null {
  let best: number | null = null;
  let bestValue = 0;
  const lower = LOWER_IS_BETTER.has(metric);
  values.forEach((value, i) => {
    if (value === null) return;
    if (best === null || (lower ? value < bestValue : value > bestValue)) {
      best = versions[i];
      bestValue = value;
    }
  });
  return best;
}

function change(values: (number | null)[]): number | null {
  const first = values[0];
  const last = values[values.length - 1];
  return values.length > 1 && first !== null && last !== null ? last - first : null;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : Math.abs(value) >= 1000 ? value.toFixed(1) : value.toPrecision(4);
}
