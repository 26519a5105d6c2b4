/**
 * DeLong's test within strata (e.g. the days of a time-split holdout), combined. Rows of
 * different strata are disjoint, so the per-stratum differences are independent and the
 * combined difference Σ wₛ·Δₛ has variance Σ wₛ²·Varₛ, with wₛ the stratum's share of rows.
 *
 * Why: a pooled AUC over several days also rewards ranking one day's flights above another's.
 * A candidate trained up to the holdout's first day shares its day-level pattern (a spell of
 * weather, a busy week) and wins that part on the holdout; the next week it does not carry
 * over. Within a day both models face the same conditions, so the comparison measures what
 * the candidate learnt about the rows themselves (docs/continuous-training.md, "Decisions").
 */
import { delongTest, type DeLongResult } from './paired-tests';

type Scores = Float32Array | Float64Array;

/** Rows of each class a stratum needs to enter the combination. */
const MIN_PER_CLASS = 2;

/** The combined result: the same shape as a pooled DeLong test, plus how the strata were used. */
export interface StratifiedDeLongResult {
  /** Row-weighted means of the strata's AUCs (the candidate's and the champion's). */
  aucA: number;
  aucB: number;
  /** Σ wₛ (aucAₛ − aucBₛ). */
  difference: number;
  /** √(Σ wₛ² Varₛ), Varₛ DeLong's variance of the stratum's difference. */
  standardError: number;
  /** Strata that held both classes and entered the combination. */
  strata: number;
  /** Strata left out because a class had fewer than two rows (AUC or its variance undefined), and their rows. */
  skippedStrata: number;
  skippedRows: number;
}

/**
 * Stratified DeLong test of model A against model B. `strata[i]` is row i's stratum (any
 * integer code). Throws RangeError when the lengths differ or no stratum holds both classes.
 */
export function stratifiedDelongTest(scoresA: Scores, scoresB: Scores, labels: Uint8Array, strata: Int32Array): StratifiedDeLongResult {
  if (scoresA.length !== labels.length || scoresB.length !== labels.length || strata.length !== labels.length) {
    throw new RangeError(`stratifiedDelongTest: ${scoresA.length} and ${scoresB.length} scores, ${strata.length} strata for ${labels.length} labels; all must describe the same rows`);
  }
  const rowsOf = new Map<number, number[]>();
  for (let i = 0; i < strata.length; i++) {
    const rows = rowsOf.get(strata[i]);
    if (rows) rows.push(i);
    else rowsOf.set(strata[i], [i]);
  }
  const used: { rows: number; d: DeLongResult }[] = [];
  let skippedStrata = 0;
  let skippedRows = 0;
  for (const rows of rowsOf.values()) {
    const y = Uint8Array.from(rows, (i) => labels[i]);
    const positives = y.reduce((s, v) => s + v, 0);
    // DeLong's variance has a (n − 1) for each class: with one row of a class its term is 0, and a
    // day of one late flight would look certain. Such days are left out like one-class days.
    if (positives < MIN_PER_CLASS || rows.length - positives < MIN_PER_CLASS) {
      skippedStrata++;
      skippedRows += rows.length;
      continue;
    }
    used.push({ rows: rows.length, d: delongTest(Float64Array.from(rows, (i) => scoresA[i]), Float64Array.from(rows, (i) => scoresB[i]), y) });
  }
  if (used.length === 0) throw new RangeError(`stratifiedDelongTest: none of ${rowsOf.size} strata holds both classes, so no AUC is defined`);
  const total = used.reduce((s, u) => s + u.rows, 0);
  let aucA = 0;
  let aucB = 0;
  let variance = 0;
  for (const { rows, d } of used) {
    const w = rows / total;
    aucA += w * d.aucA;
    aucB += w * d.aucB;
    variance += w * w * d.standardError * d.standardError;
  }
  return { aucA, aucB, difference: aucA - aucB, standardError: Math.sqrt(variance), strata: used.length, skippedStrata, skippedRows };
}
