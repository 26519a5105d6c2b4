/**
 * The trainer contract every trainer follows (ARCHITECTURE.md, "The trainer contract"):
 * what a trainer is given, what it must leave behind, and how it reports progress.
 * Pure: shared by the command trainer, the train activity and the tests.
 */
import type { LoadTarget } from './load-training-data';
import type { FeatureSpec } from './feature-spec';

/** Bumped when the request's shape changes incompatibly; sent as `contract` in the request. */
export const TRAINER_CONTRACT_VERSION = 1;

/** Files a trainer writes into its output folder. */
export const TRAINER_OUTPUTS = {
  /** Required: the model, following the model contract. */
  model: 'model.onnx',
  /** Expected: training-time figures as a flat JSON object (numbers or null). */
  metrics: 'metrics.json',
  /** Optional: `trainer`, `trainerVersion`, `params` (resolved), anything else small. */
  metadata: 'metadata.json',
} as const;

/** Everything a trainer is told, as written to the request file. */
export interface TrainerRequest {
  contract: typeof TRAINER_CONTRACT_VERSION;
  /** Parquet file to fit on. */
  train: string;
  /**
   * Parquet file the evaluate step will judge on. For the trainer's own reporting only:
   * fitting or tuning on it would make the evaluation optimistic.
   */
  holdout: string;
  /** Folder the outputs go to; exists and is empty when the trainer starts. */
  output: string;
  features: { numeric: string[]; categorical: string[] };
  label: string;
  /** The step's `params`, passed through untouched (`seed` included). */
  params: Record<string, unknown>;
  /** `params.seed`, or {@link DEFAULT_SEED}. */
  seed: number;
  /** The label's task when not binary (a binary request carries none, as before tasks existed). */
  task?: 'multiclass' | 'regression';
  /** Multiclass: the classes, in the order of the model's `probabilities` columns. */
  classes?: string[];
}

export const DEFAULT_SEED = 42;

/** A progress report; any JSON object a trainer prints on its own stdout line. */
export type TrainerProgress = Record<string, unknown>;

/** Progress lines longer than this are not heartbeat material and are ignored. */
const MAX_PROGRESS_LINE = 4096;

/** The seed a run uses: `params.seed` when it is an unsigned 32-bit integer, else the default. */
export function seedOf(params: Record<string, unknown>): number {
  const seed = params.seed;
  return typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff ? seed : DEFAULT_SEED;
}

export function buildRequest(input: {
  trainPath: string;
  holdoutPath: string;
  outputDir: string;
  features: FeatureSpec;
  params: Record<string, unknown>;
  target?: LoadTarget;
}): TrainerRequest {
  return {
    contract: TRAINER_CONTRACT_VERSION,
    train: input.trainPath,
    holdout: input.holdoutPath,
    output: input.outputDir,
    features: { numeric: [...input.features.numeric], categorical: [...input.features.categorical] },
    label: input.features.label,
    params: input.params,
    seed: seedOf(input.params),
    ...(input.target ? { task: input.target.task } : {}),
    ...(input.target?.task === 'multiclass' ? { classes: [...input.target.classes] } : {}),
  };
}

/**
 * The values behind the `{name}` placeholders in a command's arguments and the
 * `SLIPWAY_*` environment variables a command trainer gets.
 */
export function contractValues(request: TrainerRequest, requestPath: string): Record<string, string> {
  return {
    train: request.train,
    holdout: request.holdout,
    output: request.output,
    request: requestPath,
    seed: String(request.seed),
    label: request.label,
  };
}

/** `SLIPWAY_TRAIN`, `SLIPWAY_HOLDOUT`, `SLIPWAY_OUTPUT`, `SLIPWAY_REQUEST`, `SLIPWAY_SEED`, `SLIPWAY_LABEL`. */
export function contractEnv(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`SLIPWAY_${k.toUpperCase()}`, v]));
}

/** Replaces `{train}`, `{output}`, ... in one argument; other braces are left alone. */
export function expandPlaceholders(arg: string, values: Record<string, string>): string {
  return arg.replace(/\{([a-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** A stdout line as progress: a JSON object, or undefined for anything else (plain log lines). */
export function parseProgressLine(line: string): TrainerProgress | undefined {
  const text = line.trim();
  if (!text.startsWith('{') || text.length > MAX_PROGRESS_LINE) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as TrainerProgress) : undefined;
  } catch {
    return undefined;
  }
}
