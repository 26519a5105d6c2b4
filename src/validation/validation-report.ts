/**
 * The validation report: every check's value, threshold and verdict, the drift table, what
 * schema was in force and whether it changed, and plottable distributions. Stored as JSON (for
 * machines) and rendered as HTML (for people); its message lines go into the failure and status.
 */
import type { ValidateParams } from '../pipeline/step-params';
import { checkLabel, type CheckResult } from './check-result';
import type { Distribution } from './distributions';
import type { ColumnDrift } from './drift';
import type { Finding, PoisoningSummary } from './poisoning-checks';

export interface SchemaReport {
  version: number;
  /** Where the schema in force came from: `inferred from this batch (first run)`, `champion v3`, ... */
  origin: string;
  changed: boolean;
  reason: string;
  changes: string[];
  /** `artifact://` URI of the schema this run used (and records in the model version's lineage). */
  uri: string;
}

export interface ValidationReport {
  kind: 'slipway.validation-report';
  formatVersion: 1;
  model: string;
  pipeline: string;
  workflowId: string;
  runId: string;
  stepId: string;
  passed: boolean;
  counts: { checks: number; passed: number; failed: number; warnings: number; skipped: number };
  checks: CheckResult[];
  drift: { columns: ColumnDrift[]; drifted: string[]; share: number; detected: boolean };
  schema: SchemaReport;
  reference: { description: string; uri: string; rows: number } | null;
  current: { rows: number; train: { uri: string; rows: number }; holdout: { uri: string; rows: number } };
  /** Conditions that limited the validation (e.g. the champion's data is gone from the store). */
  notes: string[];
  /** Suspicious slices and patterns of the tainted-data checks, most significant first. */
  findings: Finding[];
  /** How close the batch came to the tainted-data floors (extreme slices, trigger candidates), passing or not. */
  poisoning?: PoisoningSummary;
  /** Expected vs observed positive rates of the features and patterns with findings. */
  sliceRates: Record<string, Distribution>;
  distributions: Record<string, Distribution>;
  params: ValidateParams;
}

export function countResults(checks: CheckResult[]): ValidationReport['counts'] {
  const by = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  return { checks: checks.length, passed: by('pass'), failed: by('fail'), warnings: by('warn'), skipped: by('skipped') };
}

/** The failure message: each failed check on its own line, then the warnings, then where the report is. */
export function failureMessage(report: ValidationReport, where: string): string {
  const failed = report.checks.filter((c) => c.status === 'fail');
  const warned = report.checks.filter((c) => c.status === 'warn');
  const lines = [
    `Data validation failed: ${failed.length} of ${report.counts.checks} checks failed, nothing was trained (report: ${where}):`,
    ...failed.map((c) => `  - ${c.message}`),
  ];
  if (warned.length > 0) lines.push(`Warnings (${warned.length}):`, ...warned.slice(0, 10).map((c) => `  - ${c.message}`));
  if (warned.length > 10) lines.push(`  ... ${warned.length - 10} more in the report`);
  return lines.join('\n');
}

/** Structured failure details: enough for a UI to list the checks without parsing the message. */
export function failureDetails(report: ValidationReport, uris: { json: string; html: string; htmlPath?: string }) {
  return {
    report: uris.json,
    reportHtml: uris.html,
    ...(uris.htmlPath ? { reportPath: uris.htmlPath } : {}),
    failed: report.checks
      .filter((c) => c.status === 'fail')
      .map((c) => ({ check: checkLabel(c), observed: c.observed, threshold: c.threshold })),
    findings: topFindings(report),
    ...(report.poisoning ? { poisoning: report.poisoning } : {}),
  };
}

/** The most significant findings (at most 5), as the failure's details carry them. */
export function topFindings(report: Pick<ValidationReport, 'findings'>) {
  return [...(report.findings ?? [])]
    .sort((a, b) => a.pValue - b.pValue)
    .slice(0, 5)
    .map(({ check, where, observed, expected, rows, pValue, effect }) => ({ check, where, observed, expected, rows, pValue, effect }));
}

/** What the step's summary (and so the run's status) shows. */
export function reportSummary(report: ValidationReport, uris: { json: string; html: string; htmlPath?: string }) {
  const warnings = report.checks.filter((c) => c.status === 'warn');
  return {
    passed: report.passed,
    checks: report.counts.checks,
    failed: report.counts.failed,
    warnings: report.counts.warnings,
    skipped: report.counts.skipped,
    warningMessages: warnings.slice(0, 20).map((c) => c.message),
    drift: {
      detected: report.drift.detected,
      share: report.drift.share,
      columns: report.drift.drifted,
      // The evidence behind the verdict (what a continuous-training decision records): each checked column's statistic and threshold.
      maxDriftedFraction: report.params.drift.maxDriftedFraction,
      tests: report.drift.columns.slice(0, 50).map(({ column, method, value, threshold, direction, drifted }) => ({ column, method, value, threshold, direction, drifted })),
    },
    schema: { version: report.schema.version, changed: report.schema.changed, origin: report.schema.origin, uri: report.schema.uri, ...(report.schema.changed ? { changes: report.schema.changes.slice(0, 20) } : {}) },
    reference: report.reference?.description ?? null,
    report: uris.json,
    reportHtml: uris.html,
    ...(uris.htmlPath ? { reportPath: uris.htmlPath } : {}),
    ...(report.notes.length ? { notes: report.notes } : {}),
    ...(report.findings?.length ? { findings: topFindings(report) } : {}),
    ...(report.poisoning ? { poisoning: report.poisoning } : {}),
  };
}
