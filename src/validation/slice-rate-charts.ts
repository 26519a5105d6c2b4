/**
 * Plottable positive rates for the report: for each feature with a suspicious slice, the
 * expected (grey) and observed (blue) positive rate of every slice of that feature; for each
 * trigger pattern, the pattern's rows against the batch as a whole.
 */
import type { Distribution } from './distributions';
import type { Finding, PoisoningEvidence } from './poisoning-checks';

/** Title → expected (as `reference`) and observed (as `current`) positive rates. */
export function sliceRateCharts(evidence: PoisoningEvidence, findings: Finding[]): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  const l = evidence.labels;
  if (!l) return out;
  const k = l.global.expected > 0 ? l.global.pos / l.global.expected : 1;
  const columns = [...new Set(findings.filter((f) => f.check === 'labelConsistency' && f.column).map((f) => f.column!))];
  for (const column of columns) {
    const slices = l.slices.filter((s) => s.column === column && s.n > 0 && s.expected > 0);
    out[`positive rate by ${column}: expected vs observed`] = {
      kind: 'categorical',
      labels: slices.map((s) => s.value),
      reference: slices.map((s) => (s.expected * k) / s.n),
      current: slices.map((s) => s.pos / s.n),
    };
  }
  const triggers = findings.filter((f) => f.check === 'triggerPatterns');
  if (triggers.length) {
    out['positive rate of trigger patterns: whole batch vs pattern rows'] = {
      kind: 'categorical',
      labels: triggers.map((t) => t.where),
      reference: triggers.map((t) => t.expected),
      current: triggers.map((t) => t.observed),
    };
  }
  if (findings.some((f) => f.where === 'global' || f.check === 'confidentDisagreement')) {
    const g = findings.filter((f) => f.where === 'global' || f.check === 'confidentDisagreement');
    out['global label rate and confident disagreement: expected vs observed'] = { kind: 'categorical', labels: g.map((f) => `${f.check}: ${f.where}`), reference: g.map((f) => f.expected), current: g.map((f) => f.observed) };
  }
  return out;
}

/** Multiclass and regression findings: each one's expected (class share, mean residual or target) against observed. */
export function findingCharts(findings: Finding[]): Record<string, Distribution> {
  if (findings.length === 0) return {};
  return {
    'tainted-data findings: expected vs observed': {
      kind: 'categorical',
      labels: findings.map((f) => `${f.check}: ${f.where}`),
      reference: findings.map((f) => f.expected),
      current: findings.map((f) => f.observed),
    },
  };
}
