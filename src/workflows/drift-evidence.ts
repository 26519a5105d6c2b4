/**
 * The drift probe's verdict in figures (pure; the workflow bundle imports it): the validate
 * step's drift summary turned into a continuous-training decision's evidence and its reason line.
 */
import type { ValidateSummary } from '../pipeline/step-summaries';
import type { DriftColumnEvidence, DriftEvidence } from './continuous-training-status';

/** Columns named in a reason line; the decision's `drift.columns` holds them all. */
const LINE_COLUMNS = 6;

export function driftEvidence(drift: ValidateSummary['drift'], probeWorkflowId: string): DriftEvidence {
  const columns: DriftColumnEvidence[] = (drift.tests ?? []).map((t) => ({
    column: t.column,
    method: t.method,
    statistic: t.value,
    threshold: t.threshold,
    direction: t.direction,
    drifted: t.drifted,
  }));
  return {
    probeWorkflowId,
    detected: drift.detected,
    share: typeof drift.share === 'number' ? drift.share : null,
    maxDriftedFraction: typeof drift.maxDriftedFraction === 'number' ? drift.maxDriftedFraction : null,
    columns,
  };
}

const figure = (x: number) => (x !== 0 && Math.abs(x) < 0.001 ? x.toExponential(1) : String(Number(x.toPrecision(3))));

/** `distance ks 1.2e-30 < 0.05`: one column's statistic against its threshold. */
export function columnFigure(c: DriftColumnEvidence): string {
  const op = c.direction === 'below' ? (c.drifted ? '<' : '≥') : c.drifted ? '≥' : '<';
  return `${c.column} ${c.method} ${figure(c.statistic)} ${op} ${figure(c.threshold)}`;
}

/** The figures appended to the probe's reason line: drifted columns first, then the others in the probe's column order. */
export function evidenceFigures(e: DriftEvidence): string {
  const shown = [...e.columns.filter((c) => c.drifted), ...e.columns.filter((c) => !c.drifted)].slice(0, LINE_COLUMNS);
  const limit = e.maxDriftedFraction === null ? '' : `, dataset drift at ${figure(e.maxDriftedFraction)}`;
  const more = e.columns.length > shown.length ? `; ${e.columns.length - shown.length} more in ${e.probeWorkflowId}` : '';
  return `probe ${e.probeWorkflowId}${limit}: ${shown.map(columnFigure).join('; ')}${more}`;
}
