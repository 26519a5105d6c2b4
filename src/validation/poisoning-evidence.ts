/**
 * Assembles {@link PoisoningEvidence} for a batch: the champion's predictions when its model
 * can be read (with its holdout as the baseline), otherwise the reference's per-slice rates,
 * plus the trigger candidates. The activity and `bench/poisoning.ts` both call this.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlString } from '../data/duckdb';
import { openSession } from '../evaluation/score-model';
import type { LabelComparison } from '../pipeline/label-spec';
import type { PoisoningParams } from '../pipeline/step-params';
import { referenceEvidence, scoreEvidence, sliceKey, triggerCandidates, type ConfidentCounts, type RateCounts } from './label-evidence';
import { sliceColumns } from './label-slices';
import { boundaryBand, judgeBoundary, readBoundaryCounts, readSourceDistribution } from './label-source-boundary';
import { judgeSpike, readSpikeCounts } from './label-source-spikes';
import type { BoundaryEvidence, PoisoningEvidence } from './poisoning-checks';
import type { DatasetProfile } from './profile';

export interface EvidenceInput {
  currentFiles: string[];
  current: DatasetProfile;
  /** The reference data (champion's training snapshot) and its profile. */
  reference?: { file: string; profile: DatasetProfile };
  /** The champion's ONNX model and its holdout snapshot. */
  champion?: { modelPath: string; modelDigest: string; holdoutPath?: string; holdoutDigest?: string };
  label: string;
  features: string[];
  /** Columns whose hash picks the scored sample of a large batch (cheap to hash: not text). */
  sampleKeys: string[];
  params: PoisoningParams;
  /** The label source counts of this batch and of the reference (Parquet files ingest wrote), or why there are none. */
  labelSource?: { column: string; batch: string; reference: string; comparison?: LabelComparison } | { skipped: string };
}

/** The champion's holdout statistics: global, confident, and per slice (by {@link sliceKey}). */
interface HoldoutBaseline {
  global: RateCounts;
  confident: ConfidentCounts;
  slices: Map<string, { pos: number; expected: number }>;
}

/**
 * Holdout baselines by model, holdout and slicing: they never change, so a worker computes them
 * once per champion. The holdout is sliced on every value the reference knows of the columns the
 * champion does not use (not only the batch's frequent ones), so one baseline serves every batch
 * judged against that champion.
 */
const baselines = new Map<string, HoldoutBaseline>();

export async function gatherPoisoningEvidence(conn: DuckDBConnection, input: EvidenceInput, notes: string[], timings: Record<string, number> = {}): Promise<PoisoningEvidence> {
  if (!input.reference) return { skipped: 'no champion yet to compare with (first run of this model)' };
  const { params, label } = input;
  const slices = sliceColumns(input.current, input.reference.profile, input.features, params);
  const t0 = performance.now();
  const triggers = {
    candidates: await triggerCandidates(conn, { files: input.currentFiles, profile: input.current }, input.reference, label, input.features, params),
    referenceRows: input.reference.profile.rows,
  };
  timings.triggers = Math.round(performance.now() - t0);
  const t3 = performance.now();
  const labelSource = await labelSourceEvidence(conn, input);
  timings.labelSource = Math.round(performance.now() - t3);
  const champion = input.champion;
  if (champion) {
    try {
      const session = await openSession(champion.modelPath);
      try {
        // Hashing text columns of every row costs more than scoring the sample, so the sample is
        // keyed on the non-text columns (the event time among them when the snapshot has one).
        const keys = [...input.sampleKeys];
        const sampleOf = (rows: number) => ({ columns: keys.length ? keys : [...input.features, label], modulus: Math.max(1, Math.floor(rows / params.maxScoredRows)) });
        const sample = sampleOf(input.current.rows);
        if (sample.modulus > 1) notes.push(`label consistency scored a row-hash sample of about 1 in ${sample.modulus} of the batch's ${input.current.rows} rows (maxScoredRows ${params.maxScoredRows})`);
        const t1 = performance.now();
        const batch = await scoreEvidence(conn, session, input.currentFiles, label, slices, params.confidence, sample);
        timings.scoring = Math.round(performance.now() - t1);
        let holdout: HoldoutBaseline | undefined;
        if (champion.holdoutPath) {
          // The champion's prediction already follows every column it takes as input; a column it
          // does not use (a weak or older champion) has its real per-value differences corrected
          // by how the champion fared on that value in its own holdout. Correcting used columns
          // too would only import the holdout week's noise.
          const unused = input.features.filter((f) => !session.inputNames.includes(f));
          const holdoutSlices = sliceColumns(input.reference.profile, input.reference.profile, unused, { ...params, minSliceRows: 1, maxSlicesPerColumn: Number.MAX_SAFE_INTEGER });
          const key = `${champion.modelDigest}:${champion.holdoutDigest}:${params.confidence}:${params.maxScoredRows}:${holdoutSlices.map((s) => s.sql).join('|')}`;
          holdout = baselines.get(key);
          if (!holdout) {
            const t2 = performance.now();
            const [{ n }] = await queryRows(conn, `SELECT count(*) AS n FROM read_parquet(${sqlString(champion.holdoutPath)})`);
            const h = await scoreEvidence(conn, session, [champion.holdoutPath], label, holdoutSlices, params.confidence, sampleOf(Number(n)));
            holdout = { global: h.global, confident: h.confident, slices: new Map(h.slices.map((c) => [sliceKey(c.column, c.value), { pos: c.pos, expected: c.expected }])) };
            baselines.set(key, holdout);
            timings.holdout = Math.round(performance.now() - t2);
          }
        } else {
          notes.push("the champion's holdout is not recorded in its lineage; the global label-rate and confident-disagreement comparisons are skipped");
        }
        return {
          labels: {
            basis: 'champion',
            global: batch.global,
            slices: batch.slices.map((c) => (holdout && !session.inputNames.includes(c.column) ? { ...c, holdout: holdout.slices.get(sliceKey(c.column, c.value)) ?? { pos: 0, expected: 0 } } : c)),
            ...(holdout ? { holdout: holdout.global, confident: { batch: batch.confident, holdout: holdout.confident } } : {}),
          },
          triggers,
          labelSource,
        };
      } finally {
        await session.release();
      }
    } catch (err) {
      // A champion that cannot score this batch (other features, unreadable model) still leaves the reference.
      notes.push(`the champion's model could not score this batch (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); label consistency uses the reference's per-slice rates`);
    }
  }
  return { labels: await referenceEvidence(conn, input.currentFiles, input.reference.file, label, slices), triggers, labelSource };
}

async function labelSourceEvidence(conn: DuckDBConnection, input: EvidenceInput): Promise<PoisoningEvidence['labelSource']> {
  const ls = input.labelSource;
  if (!ls) return { skipped: 'the label is not a comparison over a numeric source column' };
  if ('skipped' in ls) return ls;
  const candidates = (await readSpikeCounts(conn, ls.batch, ls.reference, input.params.labelSource)).map(judgeSpike);
  return { column: ls.column, candidates, boundary: await boundaryEvidence(conn, ls, input.params) };
}

/** The two bands next to the label's threshold, per slice; why not, when they cannot be drawn. */
async function boundaryEvidence(conn: DuckDBConnection, ls: { batch: string; reference: string; comparison?: LabelComparison }, params: PoisoningParams): Promise<BoundaryEvidence> {
  if (!ls.comparison) return { skipped: 'the batch was ingested before the label comparison was recorded' };
  const band = boundaryBand(await readSourceDistribution(conn, ls.reference), ls.comparison, params.labelSource.boundaryShare);
  if ('skipped' in band) return band;
  return { band, slices: (await readBoundaryCounts(conn, ls.batch, ls.reference, band, params.labelSource.minSliceRows)).map((c) => judgeBoundary(c, band)) };
}
