/**
 * Blessing rules, TFX-evaluator style. Formulas:
 *   value:    observed = candidate[metric]
 *   delta:    observed = candidate[metric] - champion[metric]
 *   relative: observed = (candidate[metric] - champion[metric]) / |champion[metric]|
 * A gate passes when min <= observed <= max (each bound optional). A missing metric fails.
 * Without a champion, delta/relative gates follow the spec's `firstRun` policy.
 * A gate with `slice: { column }` is applied to every slice of that column that has metrics
 * (at least `minRows` rows), each judged on its own (`candidate.auc[origin=ORD]`); with
 * `slice: { column, value }` to that slice only, which fails if it has no metrics.
 */
import type { EvaluateParams, Gate } from '../pipeline/step-params';

export type MetricValues = Record<string, number | null | undefined>;

/** Metrics per slice: column → slice value → metrics (null when the slice was too small). */
export type SliceTable = Record<string, Record<string, MetricValues | null>>;

export interface GateResult {
  metric: string;
  compare: Gate['compare'];
  formula: string;
  candidate: number | null;
  champion: number | null;
  observed: number | null;
  min?: number;
  max?: number;
  /** Set for a gate applied to one slice. */
  slice?: { column: string; value: string };
  passed: boolean;
  reason?: string;
}

export interface GateVerdict {
  blessed: boolean;
  gates: GateResult[];
  /** One line per failed gate or policy, for humans. */
  reasons: string[];
}

const FORMULAS: Record<Gate['compare'], (m: string) => string> = {
  value: (m) => `candidate.${m}`,
  delta: (m) => `candidate.${m} - champion.${m}`,
  relative: (m) => `(candidate.${m} - champion.${m}) / |champion.${m}|`,
};

export function applyGates(
  params: Pick<EvaluateParams, 'gates' | 'firstRun'>,
  candidate: MetricValues,
  champion: MetricValues | undefined,
  slices: { candidate?: SliceTable; champion?: SliceTable } = {},
): GateVerdict {
  const gates = params.gates.flatMap((gate) => {
    if (!gate.slice) return [applyGate(gate, gate.metric, candidate, champion, params.firstRun)];
    const { column } = gate.slice;
    // Slices too small to have metrics are left out of an every-slice gate; one named by value must have them.
    const table = slices.candidate?.[column] ?? {};
    const values = gate.slice.value !== undefined ? [gate.slice.value] : Object.keys(table).filter((v) => table[v] !== null);
    if (values.length === 0) {
      return [{ ...missing(gate, `${gate.metric}[${column}]`), reason: `${gate.metric}[${column}]: the holdout has no slices of "${column}"` }];
    }
    return values.map((value) => {
      const sliceOf = (table: SliceTable | undefined): MetricValues => table?.[column]?.[value] ?? {};
      const result = applyGate(gate, `${gate.metric}[${column}=${value}]`, sliceOf(slices.candidate), champion && sliceOf(slices.champion), params.firstRun);
      return { ...result, slice: { column, value } };
    });
  });
  const reasons = gates.filter((g) => !g.passed).map((g) => g.reason ?? `${g.metric} gate failed`);
  if (!champion && params.firstRun === 'fail') {
    reasons.push('no champion exists and the firstRun policy is "fail": a first model must be promoted by hand');
  }
  return { blessed: reasons.length === 0, gates, reasons };
}

/** `name` is the metric as written in formulas and reasons, e.g. `auc` or `auc[origin=ORD]`. */
function applyGate(
  gate: Gate,
  name: string,
  candidate: MetricValues,
  champion: MetricValues | undefined,
  firstRun: EvaluateParams['firstRun'],
): GateResult {
  const c = finite(candidate[gate.metric]);
  const base = {
    metric: gate.metric,
    compare: gate.compare,
    formula: FORMULAS[gate.compare](name),
    min: gate.min,
    max: gate.max,
    candidate: c,
  };
  if (c === null) {
    return { ...base, champion: null, observed: null, passed: false, reason: `${name}: candidate metric is missing` };
  }
  if (gate.compare === 'value') return judge({ ...base, champion: null }, c);
  if (!champion) {
    const passed = firstRun === 'pass';
    return { ...base, champion: null, observed: null, passed, reason: passed ? undefined : `${name} ${gate.compare}: no champion to compare with` };
  }
  const ch = finite(champion[gate.metric]);
  if (ch === null) {
    return { ...base, champion: null, observed: null, passed: false, reason: `${name}: champion metric is missing` };
  }
  if (gate.compare === 'relative' && ch === 0) {
    return { ...base, champion: ch, observed: null, passed: false, reason: `${name} relative: champion value is 0` };
  }
  const observed = gate.compare === 'delta' ? c - ch : (c - ch) / Math.abs(ch);
  return judge({ ...base, champion: ch }, observed);
}

function missing(gate: Gate, name: string): GateResult {
  const formula = FORMULAS[gate.compare](name);
  return { metric: gate.metric, compare: gate.compare, formula, min: gate.min, max: gate.max, candidate: null, champion: null, observed: null, passed: false };
}

function judge(base: Omit<GateResult, 'observed' | 'passed'>, observed: number): GateResult {
  const tooLow = base.min !== undefined && observed < base.min;
  const tooHigh = base.max !== undefined && observed > base.max;
  const passed = !tooLow && !tooHigh;
  const bound = tooLow ? `>= ${base.min}` : `<= ${base.max}`;
  return {
    ...base,
    observed,
    passed,
    reason: passed ? undefined : `${base.formula} = ${fmt(observed)}, required ${bound}`,
  };
}

const finite = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmt = (x: number): string => (Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2));
