/** What the evaluate step's binary and per-task halves share: the judged result and report entries. */
import type { ReportEntry } from '../evaluation/evaluation-report';
import type { GateVerdict } from '../evaluation/gates';
import type { PairedComparison } from '../evaluation/paired-gate';
import type { Selection } from '../evaluation/select-candidate';
import type { MetricName } from '../pipeline/step-params';
import type { ArtifactRef } from '../pipeline/types';
import type { UpstreamArtifact } from './upstream';

/** Every model scored, the choice, the gates and the paired comparison: what the report is built from. */
export interface Judged {
  scored: ReportEntry[];
  champion: ReportEntry | null;
  /** The champion's model file, for the recent-traffic gate; undefined without a champion. */
  championRef?: ArtifactRef;
  selection: Selection;
  verdict: GateVerdict;
  comparison: PairedComparison | null;
  /** The metric the choice was made by (for tasks, the task's default when the spec left `auc`). */
  primaryMetric: MetricName;
}

/** The scored figures of one model, whichever task. */
type Scored = Pick<ReportEntry, 'rows' | 'metrics' | 'slices'> & Partial<Pick<ReportEntry, 'roc' | 'calibration' | 'detail'>>;

export function entry(id: string, role: ReportEntry['role'], ref: ArtifactRef, e: Scored, meta: Record<string, unknown> = {}): ReportEntry {
  return {
    id,
    role,
    artifact: { uri: ref.uri, sha256: ref.sha256, bytes: ref.bytes },
    rows: e.rows,
    trainer: typeof meta.trainer === 'string' ? meta.trainer : undefined,
    trainerVersion: typeof meta.trainerVersion === 'string' ? meta.trainerVersion : undefined,
    metrics: e.metrics,
    slices: e.slices,
    roc: e.roc ?? [],
    calibration: e.calibration,
    ...(e.detail ? { detail: e.detail } : {}),
  };
}

/** The same model bytes reached twice (e.g. through an earlier evaluate step) compete once. */
export function distinct(found: UpstreamArtifact[]): UpstreamArtifact[] {
  const seen = new Set<string>();
  return found.filter((f) => !seen.has(f.ref.sha256) && seen.add(f.ref.sha256));
}

/** Registry metrics must be finite numbers; NaN (e.g. AUC on one class) is left out. */
export function finiteOnly(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
}

export const finiteOr = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
