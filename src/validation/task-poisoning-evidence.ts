/**
 * Assembles {@link TaskPoisoningEvidence} for a multiclass or regression batch: the champion's
 * predictions when its model can score the batch (its holdout as the baseline), otherwise the
 * reference's per-slice class shares or mean targets, plus the trigger candidates.
 *
 * With a champion, slices are cut only on the columns it takes as input. Its expectation
 * follows those columns; on a column it does not use it is flat while honest labels are not, so
 * slicing there would call natural differences poisoning (the binary checks correct such slices
 * by the champion's holdout instead; with a few hundred holdout rows per class that correction is
 * noise, so the task checks leave those columns out, saying so in the notes).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlString } from '../data/duckdb';
import { openSession } from '../evaluation/score-model';
import { triggerCandidates } from './label-evidence';
import { sliceColumns } from './label-slices';
import type { EvidenceInput } from './poisoning-evidence';
import {
  holdoutResiduals,
  multiclassReferenceEvidence,
  multiclassTriggerStats,
  regressionReferenceEvidence,
  regressionTriggerStats,
  scoreMulticlass,
  scoreRegression,
  targetMoments,
  type RegressionEvidence,
  type TaskLabelEvidence,
  type TopConfident,
} from './task-evidence';
import type { TaskPoisoningEvidence } from './task-poisoning-checks';

export interface TaskEvidenceInput extends Omit<EvidenceInput, 'labelSource'> {
  task: 'multiclass' | 'regression';
  /** Multiclass: the champion's class list (its probability columns), else the batch's. */
  classes: string[];
}

/** Holdout baselines by model, holdout and parameters: they never change, so a worker computes them once. */
const baselines = new Map<string, { multiclass?: { global: Array<{ n: number; pos: number; expected: number; variance: number }>; confident: TopConfident }; regression?: RegressionEvidence['baseline'] }>();

export async function gatherTaskEvidence(conn: DuckDBConnection, input: TaskEvidenceInput, notes: string[], timings: Record<string, number> = {}): Promise<TaskPoisoningEvidence> {
  if (!input.reference) return { skipped: 'no champion yet to compare with (first run of this model)' };
  const { params, label, task, classes } = input;
  const reference = input.reference;
  const t0 = performance.now();
  const stats = task === 'multiclass' ? multiclassTriggerStats(label) : regressionTriggerStats(label);
  const triggers = {
    candidates: await triggerCandidates(conn, { files: input.currentFiles, profile: input.current }, reference, label, input.features, params, stats),
    referenceRows: reference.profile.rows,
    ...(task === 'regression' ? { target: await targetMoments(conn, reference.file, label) } : {}),
  };
  timings.triggers = Math.round(performance.now() - t0);
  const labels = (await championEvidence(conn, input, notes, timings)) ?? (await referenceBasis(conn, input));
  return { labels, triggers };
}

async function referenceBasis(conn: DuckDBConnection, input: TaskEvidenceInput): Promise<TaskLabelEvidence> {
  const slices = sliceColumns(input.current, input.reference!.profile, input.features, input.params);
  return input.task === 'multiclass'
    ? multiclassReferenceEvidence(conn, input.currentFiles, input.reference!.file, input.label, input.classes, slices)
    : regressionReferenceEvidence(conn, input.currentFiles, input.reference!.file, input.label, slices);
}

async function championEvidence(conn: DuckDBConnection, input: TaskEvidenceInput, notes: string[], timings: Record<string, number>): Promise<TaskLabelEvidence | undefined> {
  const champion = input.champion;
  if (!champion) return undefined;
  const { params, label, task, classes } = input;
  try {
    const session = await openSession(champion.modelPath);
    try {
      const used = input.features.filter((f) => session.inputNames.includes(f));
      const unused = input.features.filter((f) => !used.includes(f));
      if (unused.length) notes.push(`label consistency slices only the champion's inputs; ${unused.join(', ')} (not used by the champion) are not sliced`);
      const slices = sliceColumns(input.current, input.reference!.profile, used, params);
      const sampleOf = (rows: number) => ({ columns: input.sampleKeys.length ? input.sampleKeys : [...input.features, label], modulus: Math.max(1, Math.floor(rows / params.maxScoredRows)) });
      const sample = sampleOf(input.current.rows);
      if (sample.modulus > 1) notes.push(`label consistency scored a row-hash sample of about 1 in ${sample.modulus} of the batch's ${input.current.rows} rows (maxScoredRows ${params.maxScoredRows})`);
      const key = `${task}:${champion.modelDigest}:${champion.holdoutDigest}:${classes.join(',')}:${params.confidence}:${params.maxScoredRows}:${params.regression.tailQuantile}`;
      let base = champion.holdoutPath ? baselines.get(key) : undefined;
      if (champion.holdoutPath && !base) {
        const t = performance.now();
        const [{ n }] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(champion.holdoutPath)})`);
        const hs = sampleOf(Number(n));
        if (task === 'multiclass') {
          const h = await scoreMulticlass(conn, session, [champion.holdoutPath], label, classes, [], params.confidence, hs);
          base = { multiclass: { global: h.perClass.map((c) => c.global), confident: h.confident } };
        } else {
          base = { regression: await holdoutResiduals(conn, session, champion.holdoutPath, label, params.regression.tailQuantile, hs) };
        }
        baselines.set(key, base);
        timings.holdout = Math.round(performance.now() - t);
      }
      if (!champion.holdoutPath) notes.push("the champion's holdout is not recorded in its lineage; the global label comparisons and confidentDisagreement are skipped");
      const t1 = performance.now();
      try {
        if (task === 'multiclass') {
          const b = await scoreMulticlass(conn, session, input.currentFiles, label, classes, slices, params.confidence, sample);
          const h = base?.multiclass;
          return {
            task,
            basis: 'champion',
            classes,
            perClass: b.perClass.map((c, i) => (h ? { ...c, holdout: h.global[i] } : c)),
            ...(h ? { confident: { batch: b.confident, holdout: h.confident } } : {}),
          };
        }
        const h = base?.regression;
        const b = await scoreRegression(conn, session, input.currentFiles, label, slices, h ?? { mean: 0 }, sample);
        if (h) return { task, basis: 'champion', ...b, baseline: h };
        // Without a holdout the batch's own residual spread is the yardstick for its slices.
        const mean = b.global.sum / Math.max(b.global.n, 1);
        const sd = Math.sqrt(Math.max(b.global.sumSq / Math.max(b.global.n, 1) - mean * mean, 0));
        return { task, basis: 'champion', ...b, baseline: { source: 'batch', n: b.global.n, mean, sd } };
      } finally {
        timings.scoring = Math.round(performance.now() - t1);
      }
    } finally {
      await session.release();
    }
  } catch (err) {
    // A champion that cannot score this batch (other features or task, unreadable model) still leaves the reference.
    notes.push(`the champion's model could not score this batch (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); label consistency uses the reference's per-slice ${task === 'multiclass' ? 'class shares' : 'mean targets'}`);
    return undefined;
  }
}
