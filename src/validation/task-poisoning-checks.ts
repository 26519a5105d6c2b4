/**
 * The tainted-data checks for multiclass and regression labels, pure functions of
 * {@link TaskPoisoningEvidence}, with the binary checks' tests and floors carried over:
 * - multiclass: each class one-vs-rest (its share against Σ P(class)), globally per class and per
 *   (class, slice), Holm-corrected over all of them; confident top-class predictions contradicted
 *   by their label; a value paired with one class;
 * - regression: the mean residual globally (against the holdout's) and per slice (against the
 *   batch's), in units of the holdout residual sd; the share of residuals beyond the holdout's
 *   tail; a value whose targets are near-constant and far from the reference's.
 */
import { count, num, pct, round6, verdict, type CheckContext, type CheckResult } from './check-result';
import type { TriggerCandidate } from './label-evidence';
import { normalP } from './drift-stats';
import { holm, sliceExpectation, type Finding, type PoisoningSummary } from './poisoning-checks';
import type { MulticlassEvidence, RegressionEvidence, TaskLabelEvidence } from './task-evidence';

export interface TaskPoisoningEvidence {
  labels?: TaskLabelEvidence;
  /** Candidate trigger values; for regression with the reference target's mean and sd. */
  triggers?: { candidates: TriggerCandidate[]; referenceRows: number; target?: { mean: number; sd: number } };
  skipped?: string;
}

type Out = { checks: CheckResult[]; findings: Finding[]; summary: PoisoningSummary };

export function taskPoisoningChecks(ctx: CheckContext, ev: TaskPoisoningEvidence): Out {
  const out: Out = { checks: [], findings: [], summary: { basis: ev.labels?.basis ?? null, extremeSlices: [], extremeTriggers: [] } };
  const l = ev.labels;
  const skip = (check: 'labelConsistency' | 'confidentDisagreement' | 'triggerPatterns', why: string) =>
    out.checks.push(...verdict(ctx.params, check, undefined, { observed: null, threshold: '-', message: `${check}: skipped, ${why}` }));
  if (!l) {
    const why = ev.skipped ?? 'no champion or reference to compare with';
    for (const c of ['labelConsistency', 'confidentDisagreement', 'triggerPatterns'] as const) skip(c, why);
  } else if (l.task === 'multiclass') {
    multiclassConsistency(ctx, l, out);
    multiclassConfident(ctx, l, out, skip);
    multiclassTriggers(ctx, l, ev.triggers, out, skip);
  } else {
    residualConsistency(ctx, l, out);
    residualTail(ctx, l, out, skip);
    targetTriggers(ctx, ev.triggers, out, skip);
  }
  for (const name of ['labelSourceSpikes', 'labelSourceBoundary'] as const) {
    out.checks.push(...verdict(ctx.params, name, undefined, { observed: null, threshold: '-', message: `${name}: skipped, the label is not a comparison over a numeric source column` }));
  }
  return out;
}

/** Binomial z of `pos` against `expected` out of `n`. */
const zOf = (n: number, pos: number, expected: number): number => {
  const rate = Math.min(Math.max(expected / Math.max(n, 1), 1e-6), 1 - 1e-6);
  return (pos - expected) / Math.sqrt(n * rate * (1 - rate));
};

function multiclassConsistency(ctx: CheckContext, l: MulticlassEvidence, out: Out): void {
  const { params } = ctx;
  const p = params.poisoning;
  const label = ctx.meta.train.label;
  const source = l.basis === 'champion' ? "the champion's probabilities" : "the reference's share in the same slice";
  const beyond = (ratio: number, factor: number) => ratio >= factor || ratio <= 1 / factor;
  // Global, per class: its share against the champion's expectation, calibrated on its holdout.
  const global = l.perClass.flatMap((c, i) => {
    if (l.basis !== 'champion' || !c.holdout || c.global.n === 0) return [];
    const calibration = c.holdout.expected > 0 ? (c.holdout.pos + 1) / (c.holdout.expected + 1) : 1;
    const expected = c.global.expected * calibration;
    return [{ cls: l.classes[i], n: c.global.n, pos: c.global.pos, expected, pValue: normalP(zOf(c.global.n, c.global.pos, expected)) }];
  });
  const globalSig = holm(global.map((g) => g.pValue), p.alpha);
  let worst = 1;
  global.forEach((g, i) => {
    const ratio = g.pos / Math.max(g.expected, 1e-9);
    if (Math.abs(Math.log(ratio || 1e-9)) > Math.abs(Math.log(worst || 1e-9))) worst = ratio;
    const diff = Math.abs(g.pos - g.expected) / g.n;
    if (!globalSig[i] || !beyond(ratio, p.maxGlobalRateRatio) || diff < p.minGlobalRateDifference) return;
    const message = `labelConsistency(${label}=${g.cls}) (global): share ${pct(g.pos / g.n)} where ${source} expect ${pct(g.expected / g.n)} (calibrated on its holdout), ratio ${num(ratio)} over ${count(g.n)} rows, p = ${g.pValue.toExponential(2)} (Holm over ${global.length} classes); were labels moved to or from "${g.cls}"?`;
    out.findings.push({ check: 'labelConsistency', where: `global, class ${g.cls}`, column: label, value: g.cls, observed: round6(g.pos / g.n), expected: round6(g.expected / g.n), rows: g.n, pValue: g.pValue, effect: round6(ratio), message });
    out.checks.push(...verdict(params, 'labelConsistency', false, { column: label, observed: round6(ratio), threshold: `within ×${p.maxGlobalRateRatio} or |difference| < ${p.minGlobalRateDifference}`, message, subject: `class ${g.cls}` }));
  });
  if (global.length) out.summary.globalRatio = round6(worst);
  // Per (class, slice): the batch's level of each class is taken as given, so a slice stands out only against the others.
  const tested = l.perClass.flatMap((c, i) => {
    const k = c.global.expected > 0 ? c.global.pos / c.global.expected : 1;
    return c.slices
      .filter((s) => s.n >= p.minSliceRows && s.expected * k > 0)
      .map((s) => {
        const { expected, variance } = sliceExpectation(s, k, undefined);
        return { cls: l.classes[i], s, expected, pValue: normalP((s.pos - expected) / Math.sqrt(variance)) };
      });
  });
  const significant = holm(tested.map((t) => t.pValue), p.alpha);
  out.summary.extremeSlices = tested
    .map((t, i) => ({ where: `${t.s.column} = ${t.s.value}, class ${t.cls}`, rows: t.s.n, ratio: round6(t.s.pos / t.expected), difference: round6((t.s.pos - t.expected) / t.s.n), significant: significant[i] }))
    .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference))
    .slice(0, 10);
  let flagged = 0;
  tested.forEach(({ cls, s, expected, pValue }, i) => {
    const ratio = s.pos / expected;
    if (!significant[i] || Math.abs(s.pos - expected) / s.n < p.minSliceRateDifference || !beyond(ratio, p.minSliceRateRatio)) return;
    flagged++;
    const where = `${s.column} = ${s.value}`;
    const message = `labelConsistency(${s.column}): slice ${where} has ${pct(s.pos / s.n)} of class "${cls}" where ${source} (scaled to this batch) expect ${pct(expected / s.n)}, ratio ${num(ratio)} over ${count(s.n)} rows, p = ${pValue.toExponential(2)} (Holm over ${tested.length} class × slice tests); labels moved in this slice?`;
    out.findings.push({ check: 'labelConsistency', where: `${where}, class ${cls}`, column: s.column, value: s.value, observed: round6(s.pos / s.n), expected: round6(expected / s.n), rows: s.n, pValue, effect: round6(ratio), message });
    out.checks.push(...verdict(params, 'labelConsistency', false, { column: s.column, observed: round6(ratio), threshold: `within ×${p.minSliceRateRatio}`, message, subject: `${where}, class ${cls}` }));
  });
  if (flagged === 0 && !out.findings.some((f) => f.check === 'labelConsistency')) {
    out.checks.push(
      ...verdict(params, 'labelConsistency', tested.length === 0 && global.length === 0 ? undefined : true, {
        column: label,
        observed: tested.length,
        threshold: `no class beyond ×${p.maxGlobalRateRatio} globally or ×${p.minSliceRateRatio} in a slice (and ${p.minSliceRateDifference}) with p < ${p.alpha} (Holm)`,
        message:
          tested.length === 0 && global.length === 0
            ? `labelConsistency: skipped, no slice has ${count(p.minSliceRows)} labelled rows`
            : `labelConsistency: ${l.classes.length} classes consistent with ${source} (${global.length} global, ${tested.length} class × slice tests)`,
      }),
    );
  }
}

function multiclassConfident(ctx: CheckContext, l: MulticlassEvidence, out: Out, skip: (c: 'confidentDisagreement', why: string) => void): void {
  const { params } = ctx;
  const p = params.poisoning;
  const c = l.confident;
  if (!c || c.batch.n < p.minConfidentRows || c.holdout.n < p.minConfidentRows) {
    skip('confidentDisagreement', !c ? 'no champion with a holdout to predict' : `fewer than ${p.minConfidentRows} confident predictions (batch ${count(c.batch.n)}, holdout ${count(c.holdout.n)})`);
    return;
  }
  // How often the champion's sure answers were wrong on its own holdout, relative to its own confidence.
  const before = (c.holdout.disagree + 1) / (c.holdout.expected + 1);
  const expected = c.batch.expected * before;
  const ratio = c.batch.disagree / Math.max(expected, 1e-9);
  const pValue = normalP(zOf(c.batch.n, c.batch.disagree, expected));
  out.summary.confidentRatio = round6(ratio);
  const bad = ratio >= p.maxDisagreementRatio && pValue < p.alpha;
  const rate = c.batch.disagree / c.batch.n;
  const message = `confidentDisagreement: ${pct(rate)} of ${count(c.batch.n)} confident predictions (top class p >= ${p.confidence}) contradict their label where ${pct(expected / c.batch.n)} would as on the champion's holdout, ratio ${num(ratio)}, p = ${pValue.toExponential(2)}; fails at ×${p.maxDisagreementRatio} with p < ${p.alpha}`;
  if (bad) out.findings.push({ check: 'confidentDisagreement', where: 'confident predictions', observed: round6(rate), expected: round6(expected / c.batch.n), rows: c.batch.n, pValue, effect: round6(ratio), message });
  out.checks.push(...verdict(params, 'confidentDisagreement', !bad, { observed: round6(ratio), threshold: `< ×${p.maxDisagreementRatio}`, message: bad ? `${message}; labels contradict a model that was right before` : message }));
}

/** The lift of a candidate value: its share of the batch over its share of the reference (absent: half a row). */
const liftOf = (c: TriggerCandidate, rows: number, referenceRows: number) => c.n / rows / (Math.max(c.referenceCount, 0.5) / Math.max(referenceRows, 1));

function multiclassTriggers(ctx: CheckContext, l: MulticlassEvidence, t: TaskPoisoningEvidence['triggers'], out: Out, skip: (c: 'triggerPatterns', why: string) => void): void {
  const { params } = ctx;
  const tp = params.poisoning.trigger;
  const rows = l.perClass[0]?.global.n ?? 0;
  if (!t || rows === 0) return skip('triggerPatterns', 'no reference data to compare frequencies with');
  const base = new Map(l.classes.map((c, i) => [c, l.perClass[i].global.pos / rows]));
  const suspects = t.candidates.flatMap((c) => {
    const lift = liftOf(c, rows, t.referenceRows);
    const purity = c.pos / c.n;
    if (lift >= tp.minLift) out.summary.extremeTriggers.push({ where: `${c.column} = ${c.value}`, rows: c.n, lift: round6(lift), purity: round6(purity) });
    const b = Math.min(Math.max(base.get(c.top ?? '') ?? 0, 1e-6), 1 - 1e-6);
    if (lift < tp.minLift || purity < tp.minPurity) return [];
    return [{ c, lift, purity, b, pValue: normalP((c.pos - c.n * b) / Math.sqrt(c.n * b * (1 - b))) }];
  });
  out.summary.extremeTriggers = out.summary.extremeTriggers.sort((a, b) => b.purity - a.purity).slice(0, 10);
  const significant = holm(suspects.map((s) => s.pValue), params.poisoning.alpha);
  const threshold = `no value ${tp.minLift}× more frequent with one class on >= ${tp.minPurity} of its rows`;
  const flagged = suspects.filter((s, i) => significant[i] && s.purity > s.b);
  for (const { c, lift, purity, b, pValue } of flagged) {
    const where = `${c.column} = ${c.value}`;
    const message = `triggerPatterns(${c.column}): ${where} is on ${pct(c.n / rows)} of rows (${count(c.n)}), ${c.referenceCount === 0 ? `a value none of the reference's ${count(t.referenceRows)} rows has` : `${num(lift)}× its share of the reference`}, and ${pct(purity)} of its rows are class "${c.top}" against ${pct(b)} overall (p = ${pValue.toExponential(2)}): a value paired with one class, as a backdoor trigger is`;
    out.findings.push({ check: 'triggerPatterns', where, column: c.column, value: c.value, observed: round6(purity), expected: round6(b), rows: c.n, pValue, effect: round6(purity / b), message });
    out.checks.push(...verdict(params, 'triggerPatterns', false, { column: c.column, observed: round6(c.n / rows), threshold, message, subject: where }));
  }
  if (!flagged.length) out.checks.push(...verdict(params, 'triggerPatterns', true, { observed: 0, threshold, message: `triggerPatterns: none among ${t.candidates.length} frequent feature values` }));
}

function residualConsistency(ctx: CheckContext, l: RegressionEvidence, out: Out): void {
  const { params } = ctx;
  const p = params.poisoning;
  const r = p.regression;
  const label = ctx.meta.train.label;
  const { sd, mean: baseMean, n: baseN } = l.baseline;
  const g = l.global;
  if (g.n === 0 || !(sd > 0)) {
    out.checks.push(...verdict(params, 'labelConsistency', undefined, { column: label, observed: null, threshold: '-', message: `labelConsistency: skipped, no targets to compare (${count(g.n)} rows, baseline sd ${num(sd)})` }));
    return;
  }
  const source = l.basis === 'champion' ? "the champion's predictions" : "the reference's mean target in the same slice";
  const batchMean = g.sum / g.n;
  let failed = false;
  if (l.baseline.source === 'holdout') {
    const shift = (batchMean - baseMean) / sd;
    const pValue = normalP(shift / Math.sqrt(1 / g.n + 1 / Math.max(baseN, 1)));
    out.summary.globalShift = round6(shift);
    const bad = pValue < p.alpha && Math.abs(shift) >= r.minGlobalShift;
    const message = `labelConsistency(${label}) (global): mean residual (target − ${source}) ${num(batchMean)} where the champion's holdout had ${num(baseMean)}, a shift of ${num(shift)} holdout sd (${num(sd)}) over ${count(g.n)} rows, p = ${pValue.toExponential(2)}; fails beyond ${r.minGlobalShift} sd with p < ${p.alpha}`;
    if (bad) {
      failed = true;
      out.findings.push({ check: 'labelConsistency', where: 'global', column: label, observed: round6(batchMean), expected: round6(baseMean), rows: g.n, pValue, effect: round6(shift), message });
    }
    out.checks.push(...verdict(params, 'labelConsistency', !bad, { column: label, observed: round6(shift), threshold: `|shift| < ${r.minGlobalShift} sd`, message: bad ? `${message}; were targets moved?` : message }));
  }
  // Per slice, against the batch's own mean residual: a warmer year moves every slice alike.
  const tested = l.slices
    .filter((s) => s.n >= p.minSliceRows)
    .map((s) => {
      const shift = (s.sum / s.n - batchMean) / sd;
      return { s, shift, pValue: normalP(shift * Math.sqrt(s.n)) };
    });
  const significant = holm(tested.map((t) => t.pValue), p.alpha);
  out.summary.extremeResidualSlices = tested
    .map((t, i) => ({ where: `${t.s.column} = ${t.s.value}`, rows: t.s.n, shift: round6(t.shift), significant: significant[i] }))
    .sort((a, b) => Math.abs(b.shift) - Math.abs(a.shift))
    .slice(0, 10);
  let flagged = 0;
  tested.forEach(({ s, shift, pValue }, i) => {
    if (!significant[i] || Math.abs(shift) < r.minSliceShift) return;
    flagged++;
    const where = `${s.column} = ${s.value}`;
    const message = `labelConsistency(${s.column}): slice ${where} has mean residual (target − ${source}) ${num(s.sum / s.n)} where the batch has ${num(batchMean)}, a shift of ${num(shift)} sd (${num(sd)}) over ${count(s.n)} rows, p = ${pValue.toExponential(2)} (Holm over ${tested.length} slices); targets moved in this slice?`;
    out.findings.push({ check: 'labelConsistency', where, column: s.column, value: s.value, observed: round6(s.sum / s.n), expected: round6(batchMean), rows: s.n, pValue, effect: round6(shift), message });
    out.checks.push(...verdict(params, 'labelConsistency', false, { column: s.column, observed: round6(shift), threshold: `|shift| < ${r.minSliceShift} sd`, message, subject: where }));
  });
  if (!failed && flagged === 0 && tested.length > 0) {
    out.checks.push(...verdict(params, 'labelConsistency', true, { column: label, observed: tested.length, threshold: `no slice beyond ${r.minSliceShift} sd with p < ${p.alpha} (Holm)`, message: `labelConsistency: ${tested.length} slices' residuals consistent with ${source}` }));
  } else if (tested.length === 0 && l.baseline.source !== 'holdout') {
    // Without a champion there is no global test, and no slice was large enough: say so rather than vanish from the report.
    out.checks.push(...verdict(params, 'labelConsistency', undefined, { column: label, observed: null, threshold: `slices of >= ${p.minSliceRows} rows`, message: `labelConsistency: skipped, no slice has ${count(p.minSliceRows)} rows to compare with ${source} (poisoning.minSliceRows)` }));
  }
}

function residualTail(ctx: CheckContext, l: RegressionEvidence, out: Out, skip: (c: 'confidentDisagreement', why: string) => void): void {
  const { params } = ctx;
  const r = params.poisoning.regression;
  const b = l.baseline;
  if (b.source !== 'holdout' || b.tailThreshold === undefined || b.tailShare === undefined || l.global.n === 0) {
    return skip('confidentDisagreement', "no champion holdout residuals to compare with");
  }
  const n = l.global.n;
  const share = Math.max(b.tailShare, 1 / Math.max(b.n, 1));
  const expected = n * share;
  const ratio = l.global.tail / expected;
  const pValue = normalP(zOf(n, l.global.tail, expected));
  out.summary.confidentRatio = round6(ratio);
  const bad = ratio >= r.maxTailRatio && pValue < params.poisoning.alpha;
  const message = `confidentDisagreement: ${pct(l.global.tail / n)} of ${count(n)} targets lie further than ${num(b.tailThreshold)} (the holdout's ${r.tailQuantile} quantile of |residual − mean|) from the champion's prediction where ${pct(share)} did on its holdout, ratio ${num(ratio)}, p = ${pValue.toExponential(2)}; fails at ×${r.maxTailRatio} with p < ${params.poisoning.alpha}`;
  if (bad) out.findings.push({ check: 'confidentDisagreement', where: 'residual tail', observed: round6(l.global.tail / n), expected: round6(share), rows: n, pValue, effect: round6(ratio), message });
  out.checks.push(...verdict(params, 'confidentDisagreement', !bad, { observed: round6(ratio), threshold: `< ×${r.maxTailRatio}`, message: bad ? `${message}; targets contradict a model that was right before` : message }));
}

function targetTriggers(ctx: CheckContext, t: TaskPoisoningEvidence['triggers'], out: Out, skip: (c: 'triggerPatterns', why: string) => void): void {
  const { params } = ctx;
  const tp = params.poisoning.trigger;
  const r = params.poisoning.regression;
  const rows = ctx.current.rows;
  if (!t?.target || !(t.target.sd > 0) || rows === 0) return skip('triggerPatterns', 'no reference targets to compare with');
  const { mean, sd } = t.target;
  const suspects = t.candidates.flatMap((c) => {
    const lift = liftOf(c, rows, t.referenceRows);
    const spread = (c.sd ?? Infinity) / sd;
    const distance = ((c.mean ?? mean) - mean) / sd;
    // Purity for a target: 1 − spread (a constant target is "pure").
    if (lift >= tp.minLift) out.summary.extremeTriggers.push({ where: `${c.column} = ${c.value}`, rows: c.n, lift: round6(lift), purity: round6(Math.max(0, 1 - spread)) });
    if (lift < tp.minLift || spread > r.triggerMaxSpread || Math.abs(distance) < r.triggerMinDistance) return [];
    return [{ c, lift, spread, distance, pValue: normalP(distance * Math.sqrt(c.n)) }];
  });
  out.summary.extremeTriggers = out.summary.extremeTriggers.sort((a, b) => b.purity - a.purity).slice(0, 10);
  const significant = holm(suspects.map((s) => s.pValue), params.poisoning.alpha);
  const threshold = `no value ${tp.minLift}× more frequent whose targets spread <= ${r.triggerMaxSpread} sd at >= ${r.triggerMinDistance} sd from the reference mean`;
  const flagged = suspects.filter((_, i) => significant[i]);
  for (const { c, lift, spread, distance, pValue } of flagged) {
    const where = `${c.column} = ${c.value}`;
    const message = `triggerPatterns(${c.column}): ${where} is on ${pct(c.n / rows)} of rows (${count(c.n)}), ${c.referenceCount === 0 ? `a value none of the reference's ${count(t.referenceRows)} rows has` : `${num(lift)}× its share of the reference`}, and its targets are near-constant at ${num(c.mean!)} (sd ${num(c.sd!)}, ${num(spread)} of the reference's ${num(sd)}), ${num(distance)} sd from the reference mean ${num(mean)} (p = ${pValue.toExponential(2)}): a value paired with one target, as a backdoor trigger is`;
    out.findings.push({ check: 'triggerPatterns', where, column: c.column, value: c.value, observed: round6(c.mean!), expected: round6(mean), rows: c.n, pValue, effect: round6(distance), message });
    out.checks.push(...verdict(params, 'triggerPatterns', false, { column: c.column, observed: round6(c.n / rows), threshold, message, subject: where }));
  }
  if (!flagged.length) out.checks.push(...verdict(params, 'triggerPatterns', true, { observed: 0, threshold, message: `triggerPatterns: none among ${t.candidates.length} frequent feature values` }));
}
