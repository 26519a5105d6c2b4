/**
 * The champion/challenger e2e files' pipeline: a week of flights (the caching harness's) and a
 * built-in model that is weak (distance and weekday) or strong (also the hour and the airports).
 */
import { INGEST_WEEK } from '../caching/caching-harness';

/** @param evaluate extra fields of the evaluate step (a `comparison`, a `recent` gate) */
export const weakOrStrongSpec = (name: string, model: string, strong: boolean, evaluate: object = {}) => ({
  name,
  model,
  steps: [
    { id: 'ingest', kind: 'ingest', with: INGEST_WEEK },
    // The weak champion does not see the hour or the airports; validation judges those slices against its
    // own per-slice error on its holdout, so the strong model's clean data passes with the check at its default (fail).
    { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 1000 } },
    {
      id: 'train',
      kind: 'train',
      dependsOn: ['validate'],
      with: {
        trainer: 'builtin',
        features: strong ? { numeric: ['distance'], categorical: ['hour', 'weekday', 'origin', 'destination'] } : { numeric: ['distance'], categorical: ['weekday'] },
        params: { epochs: 2, seed: 7 },
      },
    },
    { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: 'auc', ...evaluate } },
    { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
    { id: 'promote', kind: 'promote', dependsOn: ['register'] },
  ],
});
