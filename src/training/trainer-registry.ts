/**
 * Command trainers registered by an admin (SLIPWAY_TRAINERS_FILE, default
 * `trainers/registry.yaml`): name → command, allowed params, environment. A spec names one
 * (`trainer: sklearn-hgb`) and can set its features and allowed params, never its command or
 * environment: starting a run must not be a way to run code of the caller's choosing.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

export const registeredTrainerSchema = z
  .object({
    description: z.string().max(2000).optional(),
    /**
     * `trainer`: a train step's `trainer: <name>`. `step`: a program a `command` step runs (preprocessing,
     * feature engineering, custom checks) with declared input and output artifacts. The same trust
     * boundary either way: a spec names it and never sets its command or environment.
     * @default trainer
     */
    kind: z.enum(['trainer', 'step']).default('trainer'),
    /** Executable and arguments, as for an inline command trainer. */
    command: z.array(z.string().min(1)).min(1),
    /** Hyper-parameter names a spec may set; absent: any. `seed` is always allowed. */
    params: z.array(z.string().min(1)).optional(),
    /** Literal variables; never secrets (they are part of the worker's configuration, not of any run). */
    env: z.record(envName, z.string()).default({}),
    /** Names of the worker's own variables copied to the trainer, e.g. AWS_ACCESS_KEY_ID for S3 data. */
    passEnv: z.array(envName).default([]),
  })
  .strict();

export const trainerRegistrySchema = z
  .object({
    trainers: z.record(
      z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lowercase name such as "sklearn-hgb"').refine((n) => n !== 'builtin' && n !== 'command', '"builtin" and "command" are trainer kinds, not names'),
      registeredTrainerSchema,
    ),
  })
  .strict();

export type RegisteredTrainer = z.infer<typeof registeredTrainerSchema>;

/** The registered trainers; an empty registry when the file does not exist. */
export interface TrainerRegistry {
  readonly file: string;
  get(name: string): RegisteredTrainer | undefined;
  names(): string[];
}

/**
 * Reads the registry once (at start-up: a changed file needs a restart, as other config does).
 * @throws ConfigError naming the file and every problem.
 */
export function loadTrainerRegistry(file: string): TrainerRegistry {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const trainers = text === undefined ? {} : parse(file, text);
  return {
    file,
    get: (name) => (Object.hasOwn(trainers, name) ? trainers[name] : undefined),
    names: () => Object.keys(trainers).sort(),
  };
}

function parse(file: string, text: string): Record<string, RegisteredTrainer> {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = trainerRegistrySchema.safeParse(raw ?? { trainers: {} });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${[file, ...i.path].join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid trainer registry: ${problems.join('; ')}`, { details: { problems } });
  }
  return parsed.data.trainers;
}

/**
 * Problems with a spec's use of registered trainer `name` with `params`, as `<path>: <message>`;
 * empty when fine.
 */
export function registeredTrainerProblems(registry: TrainerRegistry, name: string, params: Record<string, unknown>, path: string): string[] {
  const entry = registry.get(name);
  if (!entry) {
    const known = registry.names();
    return [`${path}.trainer: no registered trainer "${name}" (registered in ${registry.file}: ${known.join(', ') || 'none'}; or use "builtin")`];
  }
  if (entry.kind !== 'trainer') return [`${path}.trainer: "${name}" is registered as a command step program, not a trainer; use it in a step of kind command`];
  if (!entry.params) return [];
  const allowed = new Set([...entry.params, 'seed']);
  const unknown = Object.keys(params).filter((p) => !allowed.has(p));
  return unknown.length === 0 ? [] : [`${path}.params: ${unknown.join(', ')} not allowed for trainer "${name}" (allowed: ${[...allowed].join(', ')})`];
}

/** Problems with a `command` step's program (registered with `kind: step`) and the params it sets, for the spec check before a run starts. */
export function registeredProgramProblems(registry: TrainerRegistry, name: string, params: Record<string, unknown>, path: string): string[] {
  const entry = registry.get(name);
  if (!entry || entry.kind !== 'step') {
    const known = registry.names().filter((n) => registry.get(n)?.kind === 'step');
    return [`${path}.program: no command step program "${name}" is registered (in ${registry.file}: ${known.join(', ') || 'none'})${entry ? `; "${name}" is a trainer` : ''}`];
  }
  if (!entry.params) return [];
  const allowed = new Set([...entry.params, 'seed']);
  const unknown = Object.keys(params).filter((p) => !allowed.has(p));
  return unknown.length === 0 ? [] : [`${path}.params: ${unknown.join(', ')} not allowed for program "${name}" (allowed: ${[...allowed].join(', ')})`];
}
