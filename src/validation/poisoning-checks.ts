/**
 * The tainted-data checks, pure functions of {@link LabelEvidence}: label consistency globally
 * and per slice, the disagreement of confident predictions, and backdoor trigger patterns.
 * Each suspicious slice or pattern is a {@link Finding} (observed vs expected, rows, p-value,
 * effect) and a failed check. Tests know their sample size (binomial z), slices are
 * Holm-corrected, and a practical-effect floor keeps a large batch from failing on noise.
 */
import { count, num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import { normalP } from './drift-stats';
import type { ConfidentCounts, LabelEvidence, RateCounts, SliceCounts, TriggerCandidate } from './label-evidence';
import type { BoundaryBand, BoundaryShift } from './label-source-boundary';
import type { SourceSpike } from './label-source-spikes';

export interface Finding {
  check: 'labelConsistency' | 'confidentDisagreement' | 'triggerPatterns' | 'labelSourceSpikes' | 'labelSourceBoundary';
  /** `global`, a slice `origin = ATL`, or a pattern `distance = 1234.5`. */
  where: string;
  column?: string;
  value?: string;
  /** Observed and expected rate (positive rate, or disagreement rate). */
  observed: number;
  expected: number;
  rows: number;
  /** Two-sided (trigger: one-sided) p-value, before correction. */
  pValue: number;
  /** observed / expected. */
  effect: number;
  message: string;
}

/** The bands next to the label's threshold and each slice's density jump there against the reference, or why there are none. */
export type BoundaryEvidence = { band: BoundaryBand; slices: BoundaryShift[] } | { skipped: string };

export interface PoisoningEvidence {
  labels?: LabelEvidence;
  triggers?: { candidates: TriggerCandidate[]; referenceRows: number };
  /** The label's source column and its (slice, value) spikes against the reference; why not, when absent. */
  labelSource?: { column: string; candidates: SourceSpike[]; boundary: BoundaryEvidence } | { skipped: string };
  /** Why evidence is missing, when it is (first run, model unreadable, ...). */
  skipped?: string;
}

/** Holm's step-down: which of `pValues` are significant at family-wise `alpha`. */
export function holm(pValues: number[], alpha: number): boolean[] {
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = pValues.map(() => false);
  for (let r = 0; r < order.length; r++) {
    if (order[r][0] > alpha / (order.length - r)) break;
    out[order[r][1]] = true;
  }
  return out;
}

/** z of observed positives against an expectation with binomial variance at the expected rate. */
function zScore(c: RateCounts, expected: number): number {
  const rate = Math.min(Math.max(expected / c.n, 1e-6), 1 - 1e-6);
  return (c.pos - expected) / Math.sqrt(c.n * rate * (1 - rate));
}

/** How close the batch came to each floor, passing or not: for the report and for calibration. */
export interface PoisoningSummary {
  basis: 'champion' | 'reference' | null;
  /** Global observed/expected positives against the champion's holdout ratio. */
  globalRatio?: number;
  confidentRatio?: number;
  /** The tested slices furthest from their expectation (by |log ratio|), with significance. */
  extremeSlices: Array<{ where: string; rows: number; ratio: number; difference: number; significant: boolean }>;
  /** The purest candidate trigger values that are also over-represented. */
  extremeTriggers: Array<{ where: string; rows: number; lift: number; purity: number }>;
  /** Regression: the batch's mean residual minus the champion's holdout's, in holdout residual sd. */
  globalShift?: number;
  /** Regression: the slices whose mean residual is furthest from the batch's, in holdout residual sd. */
  extremeResidualSlices?: Array<{ where: string; rows: number; shift: number; significant: boolean }>;
  /** The label source values with the largest excess over their expectation, globally and in a slice. */
  extremeSourceSpikes?: Array<{ where: string; rows: number; ratio: number; excess: number; significant: boolean }>;
  /** The whole batch's density jump at the label's threshold against the reference's (labelSourceBoundary's ratio). */
  boundaryRatio?: number;
  /** The slices whose density jump at the label's threshold moved most against the reference. */
  extremeBoundary?: Array<{ where: string; rows: number; ratio: number; significant: boolean }>;
}

export function poisoningChecks(ctx: CheckContext, evidence: PoisoningEvidence): { checks: CheckResult[]; findings: Finding[]; summary: PoisoningSummary } {
  const findings: Finding[] = [];
  const summary: PoisoningSummary = { basis: evidence.labels?.basis ?? null, extremeSlices: [], extremeTriggers: [] };
  const checks = [
    ...labelConsistency(ctx, evidence, findings, summary),
    ...confidentDisagreement(ctx, evidence, findings, summary),
    ...triggerPatterns(ctx, evidence, findings, summary),
    ...labelSourceSpikes(ctx, evidence, findings, summary),
    ...labelSourceBoundary(ctx, evidence, findings, summary),
  ];
  return { checks, findings, summary };
}

function labelConsistency(ctx: CheckContext, ev: PoisoningEvidence, findings: Finding[], summary: PoisoningSummary): CheckResult[] {
  const { params } = ctx;
  const p = params.poisoning;
  const l = ev.labels;
  if (!l) return verdict(params, 'labelConsistency', undefined, { observed: null, threshold: '-', message: `labelConsistency: skipped, ${ev.skipped ?? 'no champion or reference to compare with'}` });
  const out: CheckResult[] = [];
  const source = l.basis === 'champion' ? "the champion's predictions" : "the reference's rate in the same slice";
  // Global, with a champion: its observed/expected ratio here against the same ratio on its own holdout.
  if (l.basis === 'champion' && l.holdout && l.holdout.expected > 0 && l.global.n > 0) {
    const calibration = l.holdout.pos / l.holdout.expected;
    const expected = l.global.expected * calibration;
    const ratio = l.global.pos / Math.max(expected, 1e-9);
    const pValue = normalP(zScore(l.global, expected));
    summary.globalRatio = round6(ratio);
    const bad = pValue < p.alpha && (ratio >= p.maxGlobalRateRatio || ratio <= 1 / p.maxGlobalRateRatio);
    const message = `labelConsistency (global): positive rate ${pct(l.global.pos / l.global.n)} where ${source} expect ${pct(expected / l.global.n)} (calibrated on its holdout), ratio ${num(ratio)} over ${count(l.global.n)} rows, p = ${pValue.toExponential(2)}; fails beyond ×${p.maxGlobalRateRatio} either way with p < ${p.alpha}`;
    if (bad) findings.push({ check: 'labelConsistency', where: 'global', observed: round6(l.global.pos / l.global.n), expected: round6(expected / l.global.n), rows: l.global.n, pValue, effect: round6(ratio), message });
    out.push(...verdict(params, 'labelConsistency', !bad, { observed: round6(ratio), threshold: `within ×${p.maxGlobalRateRatio}`, message: bad ? `${message}; were labels flipped?` : message }));
  }
  // Per slice: the batch's overall level is taken as given (weeks differ), so a slice stands out
  // only when it departs from the others, which is what flipping confined to one slice does.
  const k = l.global.expected > 0 ? l.global.pos / l.global.expected : 1;
  const tested = l.slices.filter((s) => s.n >= p.minSliceRows && s.expected > 0);
  const judged = tested.map((s) => sliceExpectation(s, k, l.holdout));
  const pValues = tested.map((s, i) => normalP((s.pos - judged[i].expected) / Math.sqrt(judged[i].variance)));
  const significant = holm(pValues, p.alpha);
  summary.extremeSlices = tested
    .map((s, i) => ({ where: `${s.column} = ${s.value}`, rows: s.n, ratio: round6(s.pos / judged[i].expected), difference: round6((s.pos - judged[i].expected) / s.n), significant: significant[i] }))
    .sort((a, b) => Math.abs(Math.log(b.ratio || 1e-9)) - Math.abs(Math.log(a.ratio || 1e-9)))
    .slice(0, 10);
  const flagged = tested.flatMap((s, i) => {
    const { expected } = judged[i];
    const ratio = s.pos / expected;
    const diff = Math.abs(s.pos - expected) / s.n;
    if (!significant[i] || diff < p.minSliceRateDifference || (ratio < p.minSliceRateRatio && ratio > 1 / p.minSliceRateRatio)) return [];
    const where = `${s.column} = ${s.value}`;
    const message = `labelConsistency(${s.column}): slice ${where} has positive rate ${pct(s.pos / s.n)} where ${source} (scaled to this batch${tested[i].holdout ? ', calibrated on this slice of its holdout' : ''}) expects ${pct(expected / s.n)}, ratio ${num(ratio)} over ${count(s.n)} rows, p = ${pValues[i].toExponential(2)} (Holm over ${tested.length} slices); labels flipped in this slice?`;
    findings.push({ check: 'labelConsistency', where, column: s.column, value: s.value, observed: round6(s.pos / s.n), expected: round6(expected / s.n), rows: s.n, pValue: pValues[i], effect: round6(ratio), message });
    return verdict(params, 'labelConsistency', false, { column: s.column, observed: round6(ratio), threshold: `within ×${p.minSliceRateRatio}`, message, subject: where });
  });
  out.push(...flagged);
  if (flagged.length === 0) {
    out.push(
      ...verdict(params, 'labelConsistency', tested.length === 0 ? undefined : true, {
        observed: tested.length,
        threshold: `no slice beyond ×${p.minSliceRateRatio} and ${p.minSliceRateDifference} with p < ${p.alpha} (Holm)`,
        message: tested.length === 0 ? `labelConsistency: skipped, no slice has ${count(p.minSliceRows)} labelled rows` : `labelConsistency: ${tested.length} slices consistent with ${source}`,
      }),
    );
  }
  return out;
}

/**
 * Prior weight, in expected positives, of "the champion is as right in this slice as overall":
 * a holdout slice with few positives barely moves the expectation, a large one sets it.
 */
const SLICE_CALIBRATION_PRIOR = 30;

/**
 * A slice's expected positives and the variance of observed minus expected. The champion's
 * expectation is scaled to the batch's overall level `k` and, when its holdout was sliced the
 * same way, by how far off the champion was in that slice of its holdout relative to overall
 * (shrunk towards 1 by {@link SLICE_CALIBRATION_PRIOR}); that correction's own uncertainty
 * (relative variance ~ 1 / holdout positives) widens the variance, so a thin holdout slice
 * cannot manufacture a finding.
 */
export function sliceExpectation(s: SliceCounts, k: number, holdout: RateCounts | undefined): { expected: number; variance: number } {
  let expected = s.expected * k;
  let relativeVariance = 0;
  if (s.holdout && holdout && holdout.expected > 0) {
    const overall = holdout.pos / holdout.expected;
    const m = SLICE_CALIBRATION_PRIOR;
    const inSlice = (s.holdout.pos + m * overall) / (s.holdout.expected + m);
    expected *= inSlice / overall;
    relativeVariance = 1 / (s.holdout.pos + m * overall);
  }
  const rate = Math.min(Math.max(expected / s.n, 1e-6), 1 - 1e-6);
  return { expected, variance: s.n * rate * (1 - rate) + expected * expected * relativeVariance };
}

/** Observed / expected disagreements of confident predictions, the expectation following the data's overall label level `k`. */
function disagreementRatio(c: ConfidentCounts, k: number): { expected: number; ratio: number } {
  const expected = Math.max(c.high.n - k * c.high.sumP, 0) + k * c.low.sumP;
  return { expected, ratio: c.disagree / Math.max(expected, 1e-9) };
}

function confidentDisagreement(ctx: CheckContext, ev: PoisoningEvidence, findings: Finding[], summary: PoisoningSummary): CheckResult[] {
  const { params } = ctx;
  const p = params.poisoning;
  const l = ev.labels;
  const c = l?.confident;
  if (!l || !c || !l.holdout || c.batch.n < p.minConfidentRows || c.holdout.n < p.minConfidentRows) {
    const why = !l ? (ev.skipped ?? 'no champion') : !c ? 'no champion to predict' : `fewer than ${p.minConfidentRows} confident predictions (batch ${count(c.batch.n)}, holdout ${count(c.holdout.n)})`;
    return verdict(params, 'confidentDisagreement', undefined, { observed: null, threshold: '-', message: `confidentDisagreement: skipped, ${why}` });
  }
  // Both sides are judged at their own label level, so a week with fewer delays overall is not
  // "disagreement"; what is left is labels contradicting predictions the model was sure of.
  const now = disagreementRatio(c.batch, l.global.pos / Math.max(l.global.expected, 1e-9));
  const before = disagreementRatio(c.holdout, l.holdout.pos / Math.max(l.holdout.expected, 1e-9));
  const expected = now.expected * before.ratio;
  const ratio = c.batch.disagree / Math.max(expected, 1e-9);
  const pValue = normalP(zScore({ n: c.batch.n, pos: c.batch.disagree, expected, variance: 0 }, expected));
  summary.confidentRatio = round6(ratio);
  const bad = ratio > 1 && pValue < p.alpha && ratio >= p.maxDisagreementRatio;
  const rate = c.batch.disagree / c.batch.n;
  const message = `confidentDisagreement: ${pct(rate)} of ${count(c.batch.n)} confident predictions (p >= ${p.confidence} or <= ${num(1 - p.confidence)}) contradict their label where ${pct(expected / c.batch.n)} would as on the champion's holdout, ratio ${num(ratio)}, p = ${pValue.toExponential(2)}; fails at ×${p.maxDisagreementRatio} with p < ${p.alpha}`;
  if (bad) findings.push({ check: 'confidentDisagreement', where: 'confident predictions', observed: round6(rate), expected: round6(expected / c.batch.n), rows: c.batch.n, pValue, effect: round6(ratio), message });
  return verdict(params, 'confidentDisagreement', !bad, { observed: round6(ratio), threshold: `< ×${p.maxDisagreementRatio}`, message: bad ? `${message}; labels contradict a model that was right before` : message });
}

function triggerPatterns(ctx: CheckContext, ev: PoisoningEvidence, findings: Finding[], summary: PoisoningSummary): CheckResult[] {
  const { params } = ctx;
  const t = params.poisoning.trigger;
  const g = ev.labels?.global;
  if (!ev.triggers || !g || g.n === 0) return verdict(params, 'triggerPatterns', undefined, { observed: null, threshold: '-', message: `triggerPatterns: skipped, ${ev.skipped ?? 'no reference data to compare frequencies with'}` });
  const base = g.pos / g.n;
  const { candidates, referenceRows } = ev.triggers;
  const suspects = candidates.flatMap((c) => {
    const share = c.n / g.n;
    // A value the reference never had counts as half a row there, so lift stays finite.
    const lift = share / (Math.max(c.referenceCount, 0.5) / Math.max(referenceRows, 1));
    const rate = c.pos / c.n;
    const purity = Math.max(rate, 1 - rate);
    if (lift >= t.minLift) summary.extremeTriggers.push({ where: `${c.column} = ${c.value}`, rows: c.n, lift: round6(lift), purity: round6(purity) });
    if (lift < t.minLift || purity < t.minPurity) return [];
    const z = (c.pos - c.n * base) / Math.sqrt(c.n * base * (1 - base));
    return [{ c, share, lift, rate, pValue: normalP(z) }];
  });
  summary.extremeTriggers = summary.extremeTriggers.sort((a, b) => b.purity - a.purity).slice(0, 10);
  const significant = holm(suspects.map((s) => s.pValue), params.poisoning.alpha);
  const flagged = suspects.filter((_, i) => significant[i]);
  const out = flagged.flatMap(({ c, share, lift, rate, pValue }) => {
    const where = `${c.column} = ${c.value}`;
    const message = `triggerPatterns(${c.column}): ${where} is on ${pct(share)} of rows (${count(c.n)}), ${c.referenceCount === 0 ? `a value none of the reference's ${count(referenceRows)} rows has` : `${num(lift)}× its share of the reference (${count(c.referenceCount)} of ${count(referenceRows)})`}, and ${pct(rate)} of its rows are positive against ${pct(base)} overall (p = ${pValue.toExponential(2)}): a value paired with one label, as a backdoor trigger is`;
    findings.push({ check: 'triggerPatterns', where, column: c.column, value: c.value, observed: round6(rate), expected: round6(base), rows: c.n, pValue, effect: round6(rate / Math.max(base, 1e-9)), message });
    return verdict(params, 'triggerPatterns', false, { column: c.column, observed: round6(share), threshold: `no value ${t.minLift}× more frequent with label purity >= ${t.minPurity}`, message, subject: where });
  });
  if (out.length) return out;
  return verdict(params, 'triggerPatterns', true, {
    observed: 0,
    threshold: `no value ${t.minLift}× more frequent with label purity >= ${t.minPurity}`,
    message: `triggerPatterns: none among ${candidates.length} frequent feature values`,
  });
}

function labelSourceSpikes(ctx: CheckContext, ev: PoisoningEvidence, findings: Finding[], summary: PoisoningSummary): CheckResult[] {
  const { params } = ctx;
  const t = params.poisoning.labelSource;
  const ls = ev.labelSource;
  if (!ls || 'skipped' in ls) {
    return verdict(params, 'labelSourceSpikes', undefined, { observed: null, threshold: '-', message: `labelSourceSpikes: skipped, ${ls && 'skipped' in ls ? ls.skipped : (ev.skipped ?? 'no reference to compare with')}` });
  }
  const where = (s: SourceSpike) => `${ls.column} = ${s.source}${s.column ? ` where ${s.column} = ${s.value}` : ''}`;
  const significant = holm(ls.candidates.map((s) => s.pValue), params.poisoning.alpha);
  const floorOf = (s: SourceSpike) => (s.column ? t.minSliceExcess : t.minExcess);
  const top = (scope: (s: SourceSpike) => boolean) =>
    ls.candidates
      .map((s, i) => ({ s, significant: significant[i] }))
      .filter(({ s }) => scope(s))
      .sort((a, b) => b.s.excess - a.s.excess)
      .slice(0, 5)
      .map(({ s, significant: sig }) => ({ where: where(s), rows: s.rows, ratio: round6(s.ratio), excess: round6(s.excess), significant: sig }));
  summary.extremeSourceSpikes = [...top((s) => s.column === ''), ...top((s) => s.column !== '')];
  const spiking = ls.candidates.filter((s, i) => significant[i] && s.ratio >= t.minRatio && s.excess >= floorOf(s));
  // A value that spikes in the whole batch spikes in most slices too; name it once.
  const global = new Set(spiking.filter((s) => s.column === '').map((s) => s.source));
  const flagged = spiking.filter((s) => s.column === '' || !global.has(s.source));
  const threshold = `no value ×${t.minRatio} its expectation with excess >= ${pct(t.minExcess)} of the batch (${pct(t.minSliceExcess)} of a slice), p < ${params.poisoning.alpha} (Holm)`;
  const out = flagged.flatMap((s) => {
    const w = where(s);
    const scope = s.column ? `slice ${s.column} = ${s.value}` : 'the batch';
    const message = `labelSourceSpikes(${ls.column}): ${count(s.observed)} rows of ${scope} (${count(s.rows)} rows) have ${ls.column} = ${s.source} where its neighbouring values and the reference predict ${count(Math.round(s.expected))}, ratio ${num(s.ratio)}, ${pct(s.excess)} of the rows in excess, p = ${s.pValue.toExponential(2)}: labels rewritten to one value?`;
    findings.push({ check: 'labelSourceSpikes', where: w, column: s.column || ls.column, value: s.column ? s.value : String(s.source), observed: round6(s.observed / s.rows), expected: round6(s.expected / s.rows), rows: s.rows, pValue: s.pValue, effect: round6(s.ratio), message });
    return verdict(params, 'labelSourceSpikes', false, { column: s.column || ls.column, observed: round6(s.excess), threshold, message, subject: w });
  });
  if (out.length) return out;
  return verdict(params, 'labelSourceSpikes', true, { observed: ls.candidates.length, threshold, message: `labelSourceSpikes: no spike among ${ls.candidates.length} values of ${ls.column} (whole batch and slices)` });
}

function labelSourceBoundary(ctx: CheckContext, ev: PoisoningEvidence, findings: Finding[], summary: PoisoningSummary): CheckResult[] {
  const { params } = ctx;
  const t = params.poisoning.labelSource;
  const ls = ev.labelSource;
  if (!ls || 'skipped' in ls || 'skipped' in ls.boundary) {
    const why = !ls ? (ev.skipped ?? 'no reference to compare with') : 'skipped' in ls ? ls.skipped : (ls.boundary as { skipped: string }).skipped;
    return verdict(params, 'labelSourceBoundary', undefined, { observed: null, threshold: '-', message: `labelSourceBoundary: skipped, ${why}` });
  }
  const { band, slices } = ls.boundary;
  const tested = slices.filter((s) => s.negative + s.positive >= t.minRows && s.refNegative + s.refPositive >= t.minRows);
  // The whole batch is one pre-specified test at alpha; the slices, searched for the worst, are Holm-corrected among
  // themselves (corrected together, a 3-day batch's clear 20 % flip, p 2e-4, was lost among ~100 slices).
  const sliceP = tested.filter((s) => s.column !== '').map((s) => s.pValue);
  const sliceSignificant = holm(sliceP, params.poisoning.alpha);
  let k = 0;
  const significant = tested.map((s) => (s.column === '' ? s.pValue < params.poisoning.alpha : sliceSignificant[k++]));
  const where = (s: BoundaryShift) => (s.column ? `${s.column} = ${s.value}` : 'global');
  const floorOf = (s: BoundaryShift) => Math.log(s.column ? t.minSliceBoundaryRatio : t.minBoundaryRatio);
  const global = tested.find((s) => s.column === '');
  if (!global) {
    const message = `labelSourceBoundary: skipped, fewer than ${t.minRows} rows next to ${ls.column}'s threshold ${band.comparison.value} in the batch or the reference`;
    return verdict(params, 'labelSourceBoundary', undefined, { observed: null, threshold: '-', message });
  }
  summary.boundaryRatio = round6(global.ratio);
  summary.extremeBoundary = tested
    .map((s, i) => ({ s, significant: significant[i] }))
    .filter(({ s }) => s.column !== '')
    .sort((a, b) => Math.abs(Math.log(b.s.ratio)) - Math.abs(Math.log(a.s.ratio)))
    .slice(0, 5)
    .map(({ s, significant: sig }) => ({ where: where(s), rows: s.total, ratio: round6(s.ratio), significant: sig }));
  const shifted = tested.filter((s, i) => significant[i] && Math.abs(Math.log(s.ratio)) >= floorOf(s));
  // A shift of the whole batch shows in most slices too: name it once, and beside it only slices that moved the other way.
  const up = (s: BoundaryShift) => s.ratio > 1;
  const globalShift = shifted.find((s) => s.column === '');
  const flagged = globalShift ? shifted.filter((s) => s.column === '' || up(s) !== up(globalShift)) : shifted;
  const side = ({ from, to }: { from: number; to: number }) => (from === to ? `${from}` : `${Math.min(from, to)}..${Math.max(from, to)}`);
  const bands = `${ls.column} ${side(band.negative)} (label 0) and ${side(band.positive)} (label 1)`;
  const threshold = `${ls.column}'s density jump at its threshold ${band.comparison.value} within ×${t.minBoundaryRatio} of the reference's, p < ${params.poisoning.alpha} (×${t.minSliceBoundaryRatio} in a slice, Holm across slices)`;
  const out = flagged.flatMap((s) => {
    const w = where(s);
    const share = (neg: number, pos: number) => neg / Math.max(1, neg + pos);
    const toward = s.ratio > 1 ? 'label 0' : 'label 1';
    const message = `labelSourceBoundary(${ls.column}): ${s.column ? `in slice ${w} (${count(s.total)} rows)` : `in the batch (${count(s.total)} rows)`}, ${bands}: ${count(s.negative)} vs ${count(s.positive)} rows, where the reference has ${count(s.refNegative)} vs ${count(s.refPositive)}; the density at the threshold on the label-0 side, relative to the label-1 side, is ×${num(s.ratio)} the reference's (p = ${s.pValue.toExponential(2)}): rows moved across the threshold toward ${toward}, labels flipped?`;
    findings.push({ check: 'labelSourceBoundary', where: w, column: s.column || ls.column, value: s.column ? s.value : String(band.comparison.value), observed: round6(share(s.negative, s.positive)), expected: round6(share(s.refNegative, s.refPositive)), rows: s.total, pValue: s.pValue, effect: round6(s.ratio), message });
    return verdict(params, 'labelSourceBoundary', false, { column: s.column || ls.column, observed: round6(s.ratio), threshold, message, subject: w });
  });
  if (out.length) return out;
  return verdict(params, 'labelSourceBoundary', true, { observed: tested.length, threshold, message: `labelSourceBoundary: the density of ${bands} keeps the reference's jump at the threshold in the batch and ${Math.max(0, tested.length - 1)} slices` });
}
