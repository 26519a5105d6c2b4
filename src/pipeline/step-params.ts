/**
 * Parameter schemas of the built-in step kinds. Each is strict: an unknown field is a
 * typo until proven otherwise, and silently ignoring it would run a different pipeline
 * than the one the user wrote.
 */
import { z } from 'zod';
import { durationSchema, durationWithin } from '../duration/duration-schema';
import { toMs } from '../duration/duration';
import { CREDENTIALS_HINT, credentialInSourceProblem } from '../data/remote-url';
import { labelSchema } from './label-spec';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/, 'expected an ISO date such as 2001-01-31');

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a column name (letters, digits, _)');

export const featureTransforms = ['identity', 'double', 'hour', 'weekday', 'month', 'day'] as const;

/** A length of time (replay windows, approval and canary waits): one grammar, see src/duration/duration.ts. */
export { durationSchema };

/**
 * Credential-looking fields a user may try on a source: refused by name with what to do instead
 * (`.strict()` alone would only say "unrecognized key"). Remote credentials live on the worker.
 */
const CREDENTIAL_FIELDS = Object.fromEntries(
  ['credentials', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'keyId', 'secret', 'token', 'password', 'apiKey', 'bearerToken', 'hmacKeyId', 'hmacSecret'].map((k) => [
    k,
    z.never({ error: CREDENTIALS_HINT }).optional(),
  ]),
) as Record<string, z.ZodOptional<z.ZodNever>>;

/** How a served source appears where a path is expected. */
export const SERVED_PREFIX = 'served:';

export const ingestParamsSchema = z
  .object({
    source: z
      .object({
        /**
         * File path or glob such as `data/flights-2001-*.parquet`; `package:<npm-package>/<path>` resolves
         * inside an installed package. Every matching file is read, in name order.
         */
        path: z
          .string()
          .min(1)
          .superRefine((p, ctx) => {
            const problem = credentialInSourceProblem(p);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .optional(),
        /**
         * A model's logged traffic instead of files (the model server's inference log, src/serving/inference-log):
         * the rows it served (or an external server logged) in the last `window`, features as columns plus
         * request_id, served_at, served_version, protocol, log_source, prediction (JSON) and label (a number once
         * feedback joined). Validation then compares what the model serves with what it was trained on.
         */
        served: z.object({ model: z.string().min(1).max(200), window: durationSchema }).strict().optional(),
        format: z.enum(['auto', 'parquet', 'csv', 'json', 'ndjson']).default('auto'),
        /**
         * Serve the source as if it were arriving over time: only rows with `now - window <= time < now`,
         * so a fixed file replays as daily or weekly batches. Intersected with `window` when both are set.
         */
        replay: z.object({ now: isoDate, window: durationSchema }).strict().optional(),
        /**
         * A DuckDB SELECT over the source's files, read as the relation `source` (rename, filter, join
         * `source` with itself, derive columns); features, label and time column then name its result's
         * columns. One read-only SELECT: no table or file functions, no other relations (src/data/source-select.ts).
         */
        select: z.string().min(1).max(20_000).optional(),
        ...CREDENTIAL_FIELDS,
      })
      .strict(),
    /**
     * The source column that orders rows in time: windows, replay and the time split need it. Without
     * one, rows are split by a hash of the row (split.strategy defaults to `hash`) and checks that
     * need time order are skipped with a note.
     */
    timeColumn: identifier.optional(),
    window: z
      .object({ from: isoDate.optional(), to: isoDate.optional() })
      .strict()
      .default({}),
    features: z
      .array(
        z
          .object({
            name: identifier,
            column: identifier,
            transform: z.enum(featureTransforms).default('identity'),
          })
          .strict(),
      )
      .min(1),
    /**
     * The label and the task it makes (src/pipeline/label-spec.ts): `column op value` as 0/1 (e.g. delay gt 15,
     * weather eq rain, weather in [rain, drizzle]) or the same as an `expression`; without `op` and `value`, the
     * column itself, which must then hold 0/1 (validation checks it), or with `task: multiclass` its classes, or
     * with `task: regression` a numeric target.
     */
    label: labelSchema,
    split: z
      .object({
        /** `time`: the newest rows are held out; `hash`: a hash of each row decides. @default time with a timeColumn, else hash */
        strategy: z.enum(['time', 'hash']).optional(),
        holdoutFraction: z.number().gt(0).lt(1).default(0.2),
      })
      .strict()
      .default({ holdoutFraction: 0.2 }),
  })
  .strict()
  .superRefine((p, ctx) => {
    // Parsing is idempotent: an already parsed served source carries its name as the path (the transform below).
    const servedName = p.source.served && p.source.path === `${SERVED_PREFIX}${p.source.served.model}`;
    if (!servedName && (p.source.path === undefined) === (p.source.served === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'set exactly one of source.path (files) or source.served (a model\'s logged traffic)' });
    }
    if (p.timeColumn !== undefined) return;
    const needsTime = (path: string[], what: string) =>
      ctx.addIssue({ code: 'custom', path, message: `${what} needs a timeColumn (the column that orders rows in time); set timeColumn or remove ${path.join('.')}` });
    if (p.split.strategy === 'time') needsTime(['split', 'strategy'], 'the time split');
    if (p.window.from !== undefined || p.window.to !== undefined) needsTime(['window'], 'a time window');
    if (p.source.replay !== undefined) needsTime(['source', 'replay'], 'a replay window');
  })
  // A served source is named `served:<model>` where a path is expected (summaries, lineage, checks on paths skip it).
  .transform((p) => ({ ...p, source: { ...p.source, path: p.source.path ?? `${SERVED_PREFIX}${p.source.served!.model}` }, split: { ...p.split, strategy: p.split.strategy ?? (p.timeColumn === undefined ? ('hash' as const) : ('time' as const)) } }));

/** Names of the validation checks, as they appear in reports and in `validate.with.severity`. */
export const validationCheckNames = [
  'requiredColumns',
  'columnTypes',
  'unexpectedColumns',
  'typeConversion',
  'rowCount',
  'nullRate',
  'numericRange',
  'categoryDomain',
  'duplicateRows',
  'labelValues',
  'positiveRate',
  'labelRateShift',
  'outliers',
  'drift',
  'labelConsistency',
  'confidentDisagreement',
  'triggerPatterns',
  'labelSourceSpikes',
  /** Binary label over a numeric source: rows moved across the threshold (the bands either side of it). */
  'labelSourceBoundary',
  /** Multiclass: a class outside the pinned class list or the champion's classes. */
  'unseenClasses',
  /** Multiclass: every class has at least minPositiveRate of the labelled rows. */
  'classBalance',
  /** Regression: share of targets outside the pinned schema.columns.<label> range. */
  'targetRange',
  /** Regression: the target's distribution against the champion's training data. */
  'targetDrift',
] as const;

/** `fail` stops the pipeline, `warn` records and continues, `off` skips the check. */
export const checkSeverities = ['fail', 'warn', 'off'] as const;

/** Facts about one snapshot column pinned in the spec; they override the inferred schema. */
export const columnPinSchema = z
  .object({
    kind: z.enum(['numeric', 'categorical']).optional(),
    /** Allowed range of a numeric column (both ends inclusive). */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Known values of a categorical column. */
    domain: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    /** Overrides `maxNullFraction` for this column. */
    maxNullFraction: z.number().min(0).max(1).optional(),
    /** `false` leaves the column out of drift detection (e.g. `month` in weekly batches). */
    drift: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, 'min must be <= max');

/**
 * Thresholds of the tainted-data checks (`labelConsistency`, `confidentDisagreement`,
 * `triggerPatterns`); the defaults were calibrated on the 2001 flights (`npm run bench:poisoning`,
 * src/validation/ARCHITECTURE.md).
 */
/**
 * Thresholds of `labelSourceSpikes`: a value of the label's numeric source column (the delay
 * behind `delay > 15`) far more frequent, next to its neighbours, than in the reference.
 */
export const labelSourceParamsSchema = z
  .object({
    /** A source value is tested with at least this many rows in the slice (`labelSourceBoundary`: both bands together, in the batch and in the reference). */
    minRows: z.number().int().min(5).default(30),
    /** A slice (a categorical feature's value) is tested with at least this many rows. */
    minSliceRows: z.number().int().min(10).default(2000),
    /** Floor: observed / expected rows with the value, at least this factor ... */
    minRatio: z.number().gt(1).default(1.2),
    /** ... and the excess rows at least this share of the whole batch ... */
    minExcess: z.number().gt(0).max(1).default(0.004),
    /** ... or of a slice, for a spike inside one slice. */
    minSliceExcess: z.number().gt(0).max(1).default(0.06),
    /**
     * `labelSourceBoundary`: the values nearest the label's threshold on each side, up to this share
     * of the reference's rows, make the band whose density is extrapolated to the threshold (for
     * `delay > 15` on the 2001 flights: about 10..15 and 16..25 minutes, depending on the reference).
     */
    boundaryShare: z.number().gt(0).max(0.5).default(0.06),
    /** Floor: the density jump at the threshold against the reference's, at least this factor (or at most its inverse) ... */
    minBoundaryRatio: z.number().gt(1).default(1.15),
    /** ... and in a slice. */
    minSliceBoundaryRatio: z.number().gt(1).default(1.6),
  })
  .strict();

export type LabelSourceParams = z.output<typeof labelSourceParamsSchema>;

/**
 * Thresholds of the tainted-data checks on a regression target, where a "flipped" label is a
 * target moved away from what the champion predicts. Shifts are in units of the champion's
 * residual sd on its own holdout (without a champion: the reference target's sd).
 */
export const regressionPoisoningParamsSchema = z
  .object({
    /** Global floor: the batch's mean residual differs from the holdout's by at least this many sd. */
    minGlobalShift: z.number().gt(0).default(1),
    /** Per-slice floor: a slice's mean residual differs from the batch's by at least this many sd. */
    minSliceShift: z.number().gt(0).default(1),
    /** A residual is "confidently wrong" beyond this quantile of the holdout's |residual − mean|. */
    tailQuantile: z.number().gt(0.5).lt(1).default(0.99),
    /** Floor: the share of such residuals at least this factor of the holdout's (1 − tailQuantile). */
    maxTailRatio: z.number().gt(1).default(3),
    /** Trigger: the value's targets have an sd of at most this share of the reference target's sd ... */
    triggerMaxSpread: z.number().gt(0).max(1).default(0.1),
    /** ... and their mean at least this many reference sd from the reference target's mean. */
    triggerMinDistance: z.number().gt(0).default(1),
  })
  .strict();

export const poisoningParamsSchema = z
  .object({
    /** Family-wise significance level; slices and patterns are Holm-corrected against it. */
    alpha: z.number().gt(0).lt(1).default(0.001),
    /** A slice (a feature value or numeric bin) is tested only with at least this many labelled rows. */
    minSliceRows: z.number().int().min(10).default(1000),
    /** Most frequent values per categorical feature that become slices. */
    maxSlicesPerColumn: z.number().int().min(2).max(1000).default(50),
    /** Quantile bins per numeric feature (from the reference when there is one). */
    numericBins: z.number().int().min(2).max(100).default(10),
    /** Practical-effect floor per slice: observed/expected positive rate beyond this factor (either way). */
    minSliceRateRatio: z.number().gt(1).default(4),
    /** ... and |observed - expected| rate at least this much. */
    minSliceRateDifference: z.number().min(0).max(1).default(0.1),
    /** Multiclass global floor: a class's share differs from the champion's expectation by at least this much. */
    minGlobalRateDifference: z.number().min(0).max(1).default(0.05),
    /** Global floor: the batch's observed/expected ratio, against the champion's holdout ratio, beyond this factor. */
    maxGlobalRateRatio: z.number().gt(1).default(2),
    /**
     * Batches (and champion holdouts) of at least twice this many rows are scored on a row-hash sample
     * of 1 in floor(rows / maxScoredRows), i.e. between this many and twice as many rows; every test
     * uses the sampled counts. Smaller batches are scored whole.
     */
    maxScoredRows: z.number().int().min(1000).default(100_000),
    /** A prediction is confident when p >= confidence or p <= 1 - confidence. */
    confidence: z.number().gt(0.5).lt(1).default(0.8),
    /** confidentDisagreement runs with at least this many confident rows on both sides. */
    minConfidentRows: z.number().int().min(1).default(200),
    /** Floor: disagreement rate of confident predictions beyond this factor of the holdout's. */
    maxDisagreementRatio: z.number().gt(1).default(1.75),
    trigger: z
      .object({
        /** A value is a candidate trigger with at least this many rows ... */
        minRows: z.number().int().min(5).default(30),
        /** ... and this share of the batch. */
        minShare: z.number().min(0).max(1).default(0.001),
        /** Its share of the batch is at least this many times its share of the reference. */
        minLift: z.number().gt(1).default(5),
        /** Its rows carry one label at least this purely. */
        minPurity: z.number().gt(0.5).max(1).default(0.98),
      })
      .strict()
      .prefault({}),
    labelSource: labelSourceParamsSchema.prefault({}),
    /** Regression targets: residuals (observed − the champion's prediction) in units of its holdout residual sd. */
    regression: regressionPoisoningParamsSchema.prefault({}),
  })
  .strict();

export type PoisoningParams = z.output<typeof poisoningParamsSchema>;

export const validateParamsSchema = z
  .object({
    /** rowCount: the batch (train + holdout) has at least this many rows. */
    minRows: z.number().int().nonnegative().default(100),
    /** rowCount: and at most this many. */
    maxRows: z.number().int().positive().optional(),
    /** nullRate: largest share of nulls (and NaN) in any feature or label column. */
    maxNullFraction: z.number().min(0).max(1).default(0.05),
    /** positiveRate: the label's positive rate must lie within these bounds. */
    minPositiveRate: z.number().min(0).max(1).default(0.001),
    maxPositiveRate: z.number().min(0).max(1).default(0.999),
    /** labelRateShift: largest |positive rate - reference positive rate| (label flipping shows here). */
    maxPositiveRateShift: z.number().min(0).max(1).default(0.15),
    /** duplicateRows: largest share of rows that repeat an earlier row exactly. */
    maxDuplicateFraction: z.number().min(0).max(1).default(0.05),
    /** numericRange: largest share of values outside the schema's [min, max]. */
    maxOutOfRangeFraction: z.number().min(0).max(1).default(0.001),
    /** categoryDomain: largest share of values outside the schema's domain. */
    maxUnknownCategoryFraction: z.number().min(0).max(1).default(0.05),
    /** typeConversion: largest share of source values that could not be converted (text in a number column). */
    maxConversionFailureFraction: z.number().min(0).max(1).default(0),
    /** outliers: largest share of rows beyond the reference's IQR fences, in excess of the reference's own share. */
    maxOutlierFraction: z.number().min(0).max(1).default(0.01),
    /** outliers: fences at Q1 - k·IQR and Q3 + k·IQR of the reference (3 = Tukey's "far out"). */
    outlierIqrMultiplier: z.number().positive().default(3),
    drift: z
      .object({
        /** `auto`: Kolmogorov–Smirnov p-value for small samples, normed Wasserstein distance above. */
        numeric: z.enum(['auto', 'ks', 'wasserstein', 'psi', 'jensenshannon']).default('auto'),
        /** `auto`: chi-squared p-value for small samples, Jensen–Shannon distance above. */
        categorical: z.enum(['auto', 'chisquare', 'jensenshannon', 'psi']).default('auto'),
        /** Overrides the method's threshold (p-value 0.05 for tests; 0.1 for distances and PSI). */
        threshold: z.number().positive().optional(),
        /** With `auto`, tests are used while the smaller of the two samples has at most this many values. */
        smallSampleRows: z.number().int().positive().default(1000),
        /** Dataset drift when at least this share of the checked columns drifted. */
        maxDriftedFraction: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    /** Thresholds of labelConsistency, confidentDisagreement and triggerPatterns. */
    poisoning: poisoningParamsSchema.prefault({}),
    /** Severity per check, e.g. `{ drift: fail, duplicateRows: warn, unexpectedColumns: off }`. */
    severity: z.partialRecord(z.enum(validationCheckNames), z.enum(checkSeverities)).default({}),
    schema: z
      .object({
        /**
         * Accept this batch's inferred schema (plus pins) as the new schema in force instead of checking against
         * the current one. The change is recorded in the report and the model version's lineage.
         */
        update: z.boolean().default(false),
        /** Facts pinned per snapshot column; a pin that differs from the schema in force is a recorded change. */
        columns: z.record(identifier, columnPinSchema).default({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((p) => p.minPositiveRate <= p.maxPositiveRate, 'minPositiveRate must be <= maxPositiveRate')
  .refine((p) => p.maxRows === undefined || p.minRows <= p.maxRows, 'minRows must be <= maxRows');

/** Trainer kinds; any other `trainer` value names a registered trainer. */
export const trainerKinds = ['builtin', 'command'] as const;

export const trainParamsSchema = z
  .object({
    /**
     * `builtin`: the TypeScript logistic regression. A name such as `sklearn-hgb`: a command trainer an admin
     * registered (SLIPWAY_TRAINERS_FILE, default trainers/registry.yaml). `command`: an inline command, refused
     * unless an admin allows it for the principal starting the run (SLIPWAY_INLINE_COMMAND_PRINCIPALS).
     */
    trainer: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'expected "builtin", a registered trainer name such as "sklearn-hgb", or "command"')
      .default('builtin'),
    /**
     * For `command`: executable and arguments. `{train}`, `{holdout}`, `{output}`, `{request}`, `{seed}` and
     * `{label}` are replaced by the contract's values (also in SLIPWAY_* environment variables). A relative
     * executable path resolves against the worker's working directory.
     */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** For `command`: extra environment variables. Never secrets: specs are stored in run histories; registered trainers take secrets from the worker's environment by name (`passEnv`). */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).optional(),
    /** For `command`: the trainer's name in lineage when its metadata.json names none. */
    name: z.string().min(1).max(200).optional(),
    features: z
      .object({
        numeric: z.array(identifier).default([]),
        categorical: z.array(identifier).default([]),
      })
      .strict(),
    /** Hyper-parameters, passed to the trainer as they are; `seed` (default 42) is the run's seed. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.trainer === 'command' && !p.command) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'trainer "command" needs command: [executable, ...args]' });
    }
    if (p.trainer !== 'command') {
      for (const field of ['command', 'env', 'name'] as const) {
        if (p[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} applies only to trainer "command"${p.trainer === 'builtin' ? '' : `; a registered trainer's command and environment come from its registration`}` });
      }
    }
  });

export const metricNames = [
  'auc',
  'logLoss',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'brier',
  'ece',
  /** Multiclass (src/evaluation/multiclass-metrics.ts): unweighted and support-weighted mean of per-class F1. */
  'macroF1',
  'weightedF1',
  /** Multiclass: the lowest recall of any class present in the holdout (the class the model serves worst). */
  'minClassRecall',
  /** Regression (src/evaluation/regression-metrics.ts). */
  'rmse',
  'mae',
  'r2',
  'mape',
  /** Inference time per row when scoring the holdout in batches, in ms. */
  'msPerRow',
  /** Median time of one single-row inference call, in ms (what a request to a model server costs). */
  'singleRowMs',
  /** Size of the ONNX file in bytes. */
  'modelBytes',
] as const;

export const sliceSchema = z
  .object({
    /** Holdout column whose values define the slices (need not be a model input). */
    column: identifier,
    /** The N most frequent values in the holdout (ties broken by value). Default 10 when `values` is absent. */
    top: z.number().int().min(1).max(1000).optional(),
    /** Exactly these values (compared as text). */
    values: z.array(z.string()).min(1).max(1000).optional(),
    /** Slices with fewer holdout rows are reported without metrics and left out of every-slice gates. */
    minRows: z.number().int().min(1).default(1),
  })
  .strict()
  .refine((s) => s.top === undefined || s.values === undefined, 'give top or values, not both');

export const gateSchema = z
  .object({
    metric: z.enum(metricNames),
    /** `value`: metric compared with `min`/`max`. `delta`: new - champion. `relative`: (new - champion) / champion. */
    compare: z.enum(['value', 'delta', 'relative']).default('value'),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Apply the gate to every slice of this column (one of `slices`), or to one slice with `value`. */
    slice: z.object({ column: identifier, value: z.string().optional() }).strict().optional(),
  })
  .strict()
  .refine((g) => g.min !== undefined || g.max !== undefined, 'a gate needs min, max or both');

/**
 * The champion/challenger gate, judged by a paired test on the same holdout rows (DeLong's
 * test for AUC, a paired z-test on per-row values otherwise). The default asks for a
 * significant improvement, so a candidate whose point estimate is worse is never promoted.
 */
export const comparisonSchema = z
  .object({
    /**
     * Binary: auc, logLoss, brier, accuracy; multiclass: logLoss, accuracy; regression: mse (per-row squared error),
     * mae (per-row absolute error). @default auc (for multiclass logLoss, for regression mse)
     */
    metric: z.enum(['auc', 'logLoss', 'brier', 'accuracy', 'mse', 'mae']).default('auc'),
    /** `superiority`: better by more than `margin`; `non-inferiority`: not worse by more than `margin`. @default superiority */
    test: z.enum(['superiority', 'non-inferiority']).default('superiority'),
    /** δ, in the metric's units (e.g. 0.005 AUC). @default 0 */
    margin: z.number().min(0).max(1).default(0),
    /** One-sided error rate: the claim holds with confidence 1 − α. @default 0.05 */
    alpha: z.number().gt(0).max(0.5).default(0.05),
    /**
     * `day`: compare within each day of the holdout's time column (`event_time`) and combine the days
     * (stratified DeLong test, src/evaluation/stratified-delong.ts), so a candidate does not win on the
     * holdout by sharing its first days' day-level pattern. AUC only; needs an ingest `timeColumn`.
     * @default unset: one pooled comparison over all holdout rows
     */
    stratify: z.literal('day').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.stratify !== undefined && c.metric !== 'auc') {
      ctx.addIssue({ code: 'custom', path: ['stratify'], message: `stratify: day compares AUCs within days and needs metric: auc; got metric: ${c.metric} (remove stratify or set metric: auc)` });
    }
  });

/**
 * The champion/challenger gate on the most recent labelled served traffic: the labelled rows the
 * model server logged (src/serving/inference-log, labels from its feedback route) in the last
 * `served.window`, scored by the candidate and the champion and compared by the same paired test as
 * `comparison`. Absent: no recent comparison (parsed specs stay as before).
 */
export const recentComparisonSchema = z
  .object({
    /** Whose served traffic, and how far back from the step's start (at most 3650d). `model` @default the pipeline's model */
    served: z.object({ model: z.string().min(1).max(200).optional(), window: durationWithin({ max: '3650d' }) }).strict(),
    /** Labelled rows the comparison needs; fewer: `onTooFewLabels` decides. @default 100 */
    minLabels: z.number().int().min(2).max(10_000_000).default(100),
    /**
     * `block`: the candidate is not blessed, so nothing is promoted without a human re-running with
     * evidence (the spec asked for recent evidence; none is not a pass). `skip`: the recent comparison
     * is left out and the report says so. A window with no labelled row at all fails the step. @default block
     */
    onTooFewLabels: z.enum(['block', 'skip']).default('block'),
    /** The paired test (metric, test, margin, alpha). @default the step's `comparison` (without `stratify`), or its defaults when that is `off` */
    comparison: z
      .object({
        metric: z.enum(['auc', 'logLoss', 'brier', 'accuracy', 'mse', 'mae']).optional(),
        test: z.enum(['superiority', 'non-inferiority']).optional(),
        margin: z.number().min(0).max(1).optional(),
        alpha: z.number().gt(0).max(0.5).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const evaluateParamsSchema = z
  .object({
    /** Picks the candidate carried forward (the best by it) and is the headline of the report. */
    primaryMetric: z.enum(metricNames).default('auc'),
    threshold: z.number().gt(0).lt(1).default(0.5),
    gates: z.array(gateSchema).default([]),
    /** What happens when no champion exists: `pass` blesses on value gates alone, `fail` never blesses. */
    firstRun: z.enum(['pass', 'fail']).default('pass'),
    /** Train steps whose models compete; default: every upstream step that produced a `model`. */
    candidates: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a step id')).min(1).optional(),
    /** Columns to slice the holdout by; every candidate and the champion get metrics per slice. */
    slices: z.array(sliceSchema).default([]),
    /** Paired champion/challenger gate, applied whenever a champion exists; `off` turns it off. */
    comparison: z.union([comparisonSchema, z.literal('off')]).default(() => comparisonSchema.parse({})),
    /** Paired champion/challenger gate on the recent labelled served rows as well; absent: holdout only. */
    recent: recentComparisonSchema.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const columns = new Set(p.slices.map((s) => s.column));
    p.gates.forEach((g, i) => {
      if (g.slice && !columns.has(g.slice.column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['gates', i, 'slice', 'column'],
          message: `"${g.slice.column}" is not sliced; add { column: ${g.slice.column} } to slices`,
        });
      }
    });
  });

export const registerParamsSchema = z
  .object({
    description: z.string().max(2000).optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const promoteParamsSchema = z
  .object({
    alias: z.string().regex(/^[a-z][a-z0-9-]*$/).default('champion'),
    /** `manual`: a blessed candidate waits for an `approve` or `reject` update before the alias moves. */
    mode: z.enum(['auto', 'manual']).default('auto'),
    /** How long a manual promotion waits for a decision. */
    approvalTimeout: durationSchema.default('24 hours'),
    /** What an unanswered approval becomes: rejection by default, so silence never ships a model. */
    onTimeout: z.enum(['reject', 'approve']).default('reject'),
  })
  .strict();


export const canaryAnalysisSchema = z
  .object({
    /** Minimum-sample guard: fewer canary requests in a step make its analysis inconclusive, never a pass. */
    minRequests: z.number().int().min(1).default(50),
    /** Fewer labelled canary predictions (from feedback) leave live quality unjudged; see `requireLabels`. */
    minLabels: z.number().int().min(1).default(100),
    /**
     * `true`: the last traffic step is inconclusive unless live quality could be judged, so a canary
     * that never got labels is never promoted without a human. `false`: quality is judged only when labels exist.
     */
    requireLabels: z.boolean().default(true),
    /** Fail when canary error rate exceeds the champion's by more than this (absolute, 0.01 = 1 point). */
    maxErrorRateIncrease: z.number().min(0).max(1).default(0.01),
    /** Fail when canary p99 latency exceeds the champion's (same step) times this ratio and by more than `p99SlackMs`, and its median does too. */
    maxP99Ratio: z.number().min(1).default(2),
    /** Milliseconds of latency difference that never count as a regression (scheduling noise on a busy machine). */
    p99SlackMs: z.number().min(0).default(10),
    /** Fail when the canary's prediction-score distribution is this far from the champion's (PSI; 0.25 = major shift). */
    maxPsi: z.number().positive().default(0.25),
    /**
     * Binary, sequential holds: a score shift beyond `maxPsi` but below this fails the step only if live
     * AUC does not show the candidate no worse than the champion (by `maxAucDrop`, always-valid) before the
     * step's maximum duration; a shift at or above this fails at once, before any label. A better model
     * trained on newer data (another base rate or calibration) shifts scores without doing harm.
     * Optional so parsed specs stay as before. @default 4 × maxPsi
     */
    maxPsiWithoutLabels: z.number().positive().optional(),
    /** Fail when live AUC from feedback falls below the champion's by more than this. */
    maxAucDrop: z.number().min(0).max(1).default(0.03),
    /** Fail when live accuracy from feedback falls below the champion's by more than this. */
    maxAccuracyDrop: z.number().min(0).max(1).default(0.03),
    /** Binary and multiclass: fail when live log loss rises above the champion's by more than this (nats; the non-inferiority margin of calibration and ranking together). Optional so parsed specs stay as before. @default 0.05 */
    maxLogLossIncrease: z.number().min(0).optional(),
    /** Regression: fail when live MAE rises above the champion's by more than this fraction of it. Optional so parsed specs stay as before. @default 0.1 */
    maxMaeIncrease: z.number().min(0).optional(),
  })
  .strict();

/**
 * How long a step holds. `sequential`: analysed after every `interval` on all its traffic so far,
 * the step ends when its checks decide (harm judged by always-valid confidence sequences at
 * level `alpha`), after `minDuration` and by `maxDuration`, where it is inconclusive.
 * `fixed`: one analysis after one `interval` (inconclusive when a sample is short).
 */
export const canaryHoldSchema = z
  .object({
    /** @default sequential */
    mode: z.enum(['sequential', 'fixed']).default('sequential'),
    /** @default one `interval` */
    minDuration: durationSchema.optional(),
    /** @default six `interval`s */
    maxDuration: durationSchema.optional(),
    /** Bound on each check's false-rollback rate, however many analyses a step takes. @default 0.05 */
    alpha: z.number().gt(0).max(0.2).default(0.05),
  })
  .strict()
  .refine((h) => !h.minDuration || !h.maxDuration || toMs(h.minDuration) <= toMs(h.maxDuration), {
    message: 'minDuration must not exceed maxDuration',
    path: ['minDuration'],
  });

/**
 * Shadow mode: before the first traffic step the candidate is deployed at weight 0 and scores a
 * mirror of every request the champion answers (off the response path), and the canary holds
 * sequentially on those requests and their feedback labels (live quality against the champion on
 * the same requests, error rate, score shift) until decided or `maxDuration`. A failure rolls back
 * with no caller ever answered by the candidate. Absent: the first traffic step comes at once.
 * Set by whoever may run the pipeline, like every other canary parameter: it only adds a check
 * before traffic moves, and the model server's deployment right (`deployment.change`) is the worker's.
 */
export const canaryShadowSchema = z
  .object({
    /** Labels each of the champion and the shadow need before the shadow phase can pass. @default `analysis.minLabels` */
    minLabels: z.number().int().min(1).optional(),
    /** Longest shadow phase; reached without a decision it is inconclusive (`decisionTimeout`/`onDecisionTimeout` apply). @default the hold's `maxDuration` (six `interval`s) */
    maxDuration: durationSchema.optional(),
  })
  .strict();

export const canaryParamsSchema = z
  .object({
    /** Canary traffic share per step, in percent, rising; the last is usually 100. */
    steps: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(20)
      .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), 'steps must rise, e.g. [10, 25, 50, 100]')
      .default([10, 25, 50, 100]),
    /** How long each step holds before its analysis; with a sequential hold, the time between analyses. */
    interval: durationSchema.default('5 minutes'),
    analysis: canaryAnalysisSchema.prefault({}),
    hold: canaryHoldSchema.prefault({}),
    /** Shadow phase before the first traffic step; absent: none. */
    shadow: canaryShadowSchema.optional(),
    /** What an inconclusive analysis waits for: an `approve` or `reject` update on the canary workflow. */
    decisionTimeout: durationSchema.default('1 hour'),
    /** What an unanswered decision becomes: rollback by default, so silence never ships a model. */
    onDecisionTimeout: z.enum(['rollback', 'continue']).default('rollback'),
  })
  .strict();

/** The `noop` kind (tests and benchmarks) takes no parameters. */
export const noopParamsSchema = z.object({}).strict();

export type IngestParams = z.infer<typeof ingestParamsSchema>;
export type ValidateParams = z.infer<typeof validateParamsSchema>;
export type ValidationCheckName = (typeof validationCheckNames)[number];
export type CheckSeverity = (typeof checkSeverities)[number];
export type ColumnPin = z.infer<typeof columnPinSchema>;
export type TrainParams = z.infer<typeof trainParamsSchema>;
export type EvaluateParams = z.infer<typeof evaluateParamsSchema>;
export type Gate = z.infer<typeof gateSchema>;
export type Comparison = z.infer<typeof comparisonSchema>;
export type RecentComparisonParams = z.infer<typeof recentComparisonSchema>;
export type SliceSpec = z.infer<typeof sliceSchema>;
export type MetricName = (typeof metricNames)[number];
export type RegisterParams = z.infer<typeof registerParamsSchema>;
export type PromoteParams = z.infer<typeof promoteParamsSchema>;
export type CanaryParams = z.infer<typeof canaryParamsSchema>;
export type CanaryAnalysisParams = z.infer<typeof canaryAnalysisSchema>;
export type CanaryHoldParams = z.infer<typeof canaryHoldSchema>;
export type CanaryShadowParams = z.infer<typeof canaryShadowSchema>;
