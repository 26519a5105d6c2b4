/**
 * validate (foundation level): the snapshots have the expected columns, enough rows,
 * few nulls, a binary label with both classes. Every check's value, threshold and verdict
 * goes into a JSON report; any failure stops the pipeline before training.
 */
import type { ArtifactStore } from '../artifacts/artifact-store';
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { DataValidationError } from '../errors';
import type { ValidateParams } from '../pipeline/step-params';
import type { ArtifactRef, StepOutput, StepRequest } from '../pipeline/types';
import { findArtifact } from './upstream';

export interface ValidateDeps {
  store: ArtifactStore;
  duckdbThreads: number;
}

export interface CheckResult {
  check: string;
  split: 'train' | 'holdout';
  column?: string;
  severity: 'fail' | 'warn';
  observed: number | string;
  threshold: string;
  passed: boolean;
}

export async function validateSnapshots(deps: ValidateDeps, req: StepRequest, params: ValidateParams): Promise<StepOutput> {
  const train = findArtifact(req.inputs, 'train');
  const holdout = findArtifact(req.inputs, 'holdout');
  const label = String(train.meta?.label ?? 'label');
  const features = (train.meta?.features as string[] | undefined) ?? [];
  const checks: CheckResult[] = [];
  for (const [split, ref] of [['train', train], ['holdout', holdout]] as const) {
    checks.push(...(await checkSnapshot(deps, ref, split, label, features, params)));
  }
  const failed = checks.filter((c) => !c.passed && c.severity === 'fail');
  const report = await deps.store.putJson(
    { kind: 'validation-report', stepId: req.ctx.stepId, params, checks, passed: failed.length === 0 },
    { name: 'validation-report', meta: { checks: checks.length, failed: failed.length } },
  );
  if (failed.length > 0) {
    const lines = failed.map(
      (c) => `${c.check}${c.column ? `(${c.column})` : ''} on ${c.split}: observed ${c.observed}, required ${c.threshold}`,
    );
    throw new DataValidationError(`Data validation failed (report ${report.uri}):\n  - ${lines.join('\n  - ')}`, {
      details: { report: report.uri, failed },
    });
  }
  return {
    artifacts: { 'validation-report': report },
    summary: { checks: checks.length, failed: 0, warnings: checks.filter((c) => !c.passed).length, report: report.uri },
  };
}

async function checkSnapshot(
  deps: ValidateDeps,
  ref: ArtifactRef,
  split: 'train' | 'holdout',
  label: string,
  features: string[],
  params: ValidateParams,
): Promise<CheckResult[]> {
  const file = await deps.store.localPath(ref);
  return withDuckDb({ threads: deps.duckdbThreads }, async (conn) => {
    const columns = (await queryRows(conn, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`)).map((r) => String(r.column_name));
    const results: CheckResult[] = [];
    const missing = [...features, label].filter((c) => !columns.includes(c));
    results.push({ check: 'required_columns', split, severity: 'fail', observed: missing.length ? `missing ${missing.join(', ')}` : 'all present', threshold: 'all present', passed: missing.length === 0 });
    if (missing.length > 0) return results;

    const nullExprs = [...features, label].map((c) => `avg(CASE WHEN ${sqlIdent(c)} IS NULL THEN 1 ELSE 0 END) AS ${sqlIdent(`null_${c}`)}`);
    const [stats] = await queryRows(
      conn,
      `SELECT count(*) AS rows, ${nullExprs.join(', ')},
         count(DISTINCT ${sqlIdent(label)}) FILTER (WHERE ${sqlIdent(label)} IS NOT NULL) AS label_values,
         count(*) FILTER (WHERE ${sqlIdent(label)} NOT IN (0, 1)) AS bad_labels,
         avg(${sqlIdent(label)}) AS positive_rate
       FROM read_parquet(${sqlString(file)})`,
    );
    const rows = Number(stats.rows);
    results.push({ check: 'min_rows', split, severity: 'fail', observed: rows, threshold: `>= ${params.minRows}`, passed: rows >= params.minRows });
    for (const c of [...features, label]) {
      const rate = Number(stats[`null_${c}`] ?? 0);
      results.push({ check: 'null_fraction', split, column: c, severity: 'fail', observed: round(rate), threshold: `<= ${params.maxNullFraction}`, passed: rate <= params.maxNullFraction });
    }
    const bad = Number(stats.bad_labels);
    results.push({ check: 'label_values', split, column: label, severity: 'fail', observed: bad === 0 ? '0/1 only' : `${bad} rows not 0/1`, threshold: 'values in {0, 1}', passed: bad === 0 });
    const rate = stats.positive_rate == null ? 0 : Number(stats.positive_rate);
    results.push({
      check: 'positive_rate',
      split,
      column: label,
      severity: 'fail',
      observed: round(rate),
      threshold: `between ${params.minPositiveRate} and ${params.maxPositiveRate}`,
      passed: rate >= params.minPositiveRate && rate <= params.maxPositiveRate,
    });
    return results;
  });
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
