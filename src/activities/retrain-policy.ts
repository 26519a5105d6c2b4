/**
 * The continuous-training policy as a zod schema: the activity parses it before checking any
 * trigger, so a typo or an out-of-range threshold fails the workflow at its first check with
 * a message naming the field, instead of silently never firing.
 */
import { z } from 'zod';
import { durationSchema } from '../duration/duration-schema';
import { InvalidRetrainPolicyError } from '../errors';
import type { LiveQualityPolicy, RetrainPolicy } from '../workflows/continuous-training-status';

/** The live-quality thresholds each task can be judged by. */
export const TASK_THRESHOLDS = {
  binary: ['minAuc', 'maxAucDrop', 'minAccuracy'],
  multiclass: ['minAccuracy', 'maxLogLoss'],
  regression: ['maxRmse', 'maxMae'],
} as const satisfies Record<string, readonly (keyof LiveQualityPolicy)[]>;
const LIVE_THRESHOLDS = ['minAuc', 'maxAucDrop', 'minAccuracy', 'maxLogLoss', 'maxRmse', 'maxMae'] as const;

/**
 * Checks the live-quality thresholds against the champion's task: a threshold the task cannot
 * be judged by (an RMSE limit on a classifier) would never fire, so it is refused by name.
 * @throws InvalidRetrainPolicyError naming each such field, the task and the fields that apply
 */
export function checkPolicyTask(policy: LiveQualityPolicy, task: keyof typeof TASK_THRESHOLDS, who: string): void {
  const allowed: readonly string[] = TASK_THRESHOLDS[task];
  const problems = LIVE_THRESHOLDS.filter((k) => policy[k] !== undefined && !allowed.includes(k)).map(
    (k) => `policy.onLiveQuality.${k}: does not apply to ${who}, a ${task} model; its live quality is judged by ${allowed.join(', ')}`,
  );
  if (problems.length > 0) throw new InvalidRetrainPolicyError(problems);
}

const fraction = (what: string) => z.number({ error: `expected a number between 0 and 1 (${what})` }).min(0).max(1);

const liveQualitySchema = z
  .object({
    minAuc: fraction('live AUC below it triggers a retrain').optional(),
    maxAucDrop: fraction("how far live AUC may fall below the champion's offline AUC").optional(),
    minAccuracy: fraction('live accuracy below it triggers a retrain').optional(),
    maxLogLoss: z.number({ error: 'expected a positive number (multiclass: live log loss above it triggers a retrain)' }).positive().optional(),
    maxRmse: z.number({ error: "expected a positive number in the target's unit (regression: live RMSE above it triggers a retrain)" }).positive().optional(),
    maxMae: z.number({ error: "expected a positive number in the target's unit (regression: live MAE above it triggers a retrain)" }).positive().optional(),
    minLabels: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
  })
  .strict()
  .refine((q) => LIVE_THRESHOLDS.some((k) => q[k] !== undefined), {
    message: 'give at least one threshold: minAuc, maxAucDrop or minAccuracy (binary), minAccuracy or maxLogLoss (multiclass), maxRmse or maxMae (regression)',
  });

export const retrainPolicySchema = z
  .object({
    maxModelAge: durationSchema.optional(),
    minNewRows: z.number().int().min(0).optional(),
    onDrift: z.boolean().optional(),
    onLiveQuality: liveQualitySchema.optional(),
    incremental: z.boolean().optional(),
  })
  .strict();

// The workflow's hand-written types and the schema must describe the same object.
type Parsed = z.infer<typeof retrainPolicySchema>;
const _sameShape: [Parsed extends RetrainPolicy ? true : false, RetrainPolicy extends Parsed ? true : false] = [true, true];
void _sameShape;
const _liveShape: LiveQualityPolicy extends NonNullable<Parsed['onLiveQuality']> ? true : false = true;
void _liveShape;

/**
 * Parses a policy; an invalid one throws {@link InvalidRetrainPolicyError} (non-retryable
 * at the activity boundary) listing each problem as `policy.<field>: <what is wrong>`.
 */
export function parseRetrainPolicy(policy: unknown): RetrainPolicy {
  const parsed = retrainPolicySchema.safeParse(policy ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${['policy', ...i.path.map(String)].join('.')}: ${i.message}`);
  throw new InvalidRetrainPolicyError(problems);
}
