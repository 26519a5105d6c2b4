/**
 * One check's outcome, as it appears in the report, the run's status and the failure message,
 * plus the context every check reads and the formatting they share.
 */
import type { CheckSeverity, ValidateParams, ValidationCheckName } from '../pipeline/step-params';
import type { ColumnType } from './column-types';
import type { DataSchema } from './data-schema';
import type { DatasetProfile } from './profile';
import type { SnapshotMeta } from './snapshot-meta';

/** `skipped`: the check could not run (no reference yet, column missing); never fails the run. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skipped';

export interface CheckResult {
  check: ValidationCheckName;
  column?: string;
  split?: 'train' | 'holdout';
  /** What a failed check does: `fail` stops the run, `warn` is recorded. */
  severity: 'fail' | 'warn';
  status: CheckStatus;
  /** The measured value (a share, a count, a p-value or distance, or a short description). */
  observed: number | string | null;
  /** What the value had to satisfy, e.g. `<= 0.05`. */
  threshold: string;
  /** One line a user can act on: check, value, threshold, hint. */
  message: string;
  /**
   * The slice, value or class a tainted-data failure is about (`origin = ORD`, `class fog`): with
   * the check's label it names what a release from quarantine accepts, finding by finding.
   */
  subject?: string;
}

/** Severities unless the spec says otherwise; drift only warns, it is the signal to retrain. */
export const DEFAULT_SEVERITY: Record<ValidationCheckName, 'fail' | 'warn'> = {
  requiredColumns: 'fail',
  columnTypes: 'fail',
  unexpectedColumns: 'warn',
  typeConversion: 'fail',
  rowCount: 'fail',
  nullRate: 'fail',
  numericRange: 'fail',
  categoryDomain: 'fail',
  duplicateRows: 'fail',
  labelValues: 'fail',
  positiveRate: 'fail',
  labelRateShift: 'fail',
  outliers: 'fail',
  drift: 'warn',
  labelConsistency: 'fail',
  confidentDisagreement: 'fail',
  triggerPatterns: 'fail',
  labelSourceSpikes: 'fail',
  labelSourceBoundary: 'fail',
  unseenClasses: 'fail',
  classBalance: 'fail',
  targetRange: 'fail',
  // Like feature drift: the signal to retrain, not a data error.
  targetDrift: 'warn',
};

/** The reference data: the current champion's training snapshot, profiled with the same plan. */
export interface ReferenceData {
  /** e.g. `champion v3 training data`. */
  description: string;
  profile: DatasetProfile;
  positiveRate: number | null;
  /** Multiclass: the class list the champion was trained on. */
  classes?: string[];
}

export interface CheckContext {
  params: ValidateParams;
  schema: DataSchema;
  /** This batch: train and holdout snapshots together. */
  current: DatasetProfile;
  /** Snapshot columns as DuckDB reads them. */
  currentTypes: ColumnType[];
  meta: { train: SnapshotMeta; holdout: SnapshotMeta };
  reference?: ReferenceData;
}

export function severityOf(params: ValidateParams, check: ValidationCheckName): CheckSeverity {
  return params.severity[check] ?? DEFAULT_SEVERITY[check];
}

type Fields = Omit<CheckResult, 'check' | 'severity' | 'status'>;

/**
 * Builds a result from the check's verdict; returns nothing when the check is `off`.
 * `ok: undefined` marks the check skipped.
 */
export function verdict(params: ValidateParams, check: ValidationCheckName, ok: boolean | undefined, fields: Fields): CheckResult[] {
  const severity = severityOf(params, check);
  if (severity === 'off') return [];
  const status = ok === undefined ? 'skipped' : ok ? 'pass' : severity;
  return [{ check, severity, status, ...fields }];
}

/** `check(column) on split`, the name a result goes by in messages. */
export function checkLabel(r: Pick<CheckResult, 'check' | 'column' | 'split'>): string {
  return `${r.check}${r.column ? `(${r.column})` : ''}${r.split ? ` on ${r.split}` : ''}`;
}

const INTEGER = new Intl.NumberFormat('en-US');

/** 2000 → "2,000". */
export const count = (n: number): string => INTEGER.format(n);

/** 0.1667 → "16.7%", 0.0005 → "0.05%", 1 → "100%". */
export function pct(share: number): string {
  if (!Number.isFinite(share)) return String(share);
  const p = share * 100;
  if (p === 0) return '0%';
  return `${Number(p.toPrecision(p >= 1 ? 3 : 2))}%`;
}

/** A number with at most 4 significant digits for messages: 0.123456 → "0.1235". */
export const num = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));

/** Rounds stored observations so reports do not carry float noise. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
