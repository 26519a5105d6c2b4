/**
 * The `command` trainer: any executable that follows the trainer contract (ARCHITECTURE.md).
 * It runs in its own process group, so cancelling kills it and everything it started;
 * its JSON stdout lines become progress; a failure carries its last stderr lines.
 */
import type { LoadTarget } from './load-training-data';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TrainingError } from '../errors';
import type { FeatureSpec } from './feature-spec';
import {
  buildRequest,
  contractEnv,
  contractValues,
  expandPlaceholders,
  parseProgressLine,
  TRAINER_OUTPUTS,
  type TrainerProgress,
} from './trainer-contract';

/** Options of {@link runCommandTrainer}. */
export interface CommandTrainerOptions {
  /** Executable and arguments; `{train}`, `{holdout}`, `{output}`, `{request}`, `{seed}`, `{label}` are filled in. */
  command: string[];
  /** Extra environment variables, on top of the minimal base (see {@link trainerBaseEnv}) and the `SLIPWAY_*` contract ones. */
  env?: Record<string, string>;
  /** Names of the worker's own variables the trainer may see (a registered trainer's `passEnv`, e.g. AWS_* for S3). */
  passEnv?: readonly string[];
  /**
   * Working directory; a relative executable path resolves against it.
   * @default process.cwd()
   */
  cwd?: string;
  /** Trainer name for lineage when the trainer's metadata.json names none. */
  name?: string;
  trainPath: string;
  holdoutPath: string;
  features: FeatureSpec;
  /** The step's params, passed through untouched. */
  params?: Record<string, unknown>;
  /** Multiclass or regression, written into the request (`task`, `classes`); absent for binary. */
  target?: LoadTarget;
  /** A fresh folder for the request file and the `output/` folder the trainer writes to. */
  workDir: string;
  onProgress?: (progress: TrainerProgress) => void;
  /** Every line the trainer prints that is not progress, for logging. */
  onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Aborting sends SIGTERM to the trainer's process group, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** @default 5000 */
  killGraceMs?: number;
}

export interface CommandTrainerResult {
  /** `<workDir>/output/model.onnx`. */
  modelPath: string;
  trainer: string;
  trainerVersion?: string;
  /** The params the trainer reports having used (metadata.json), else the ones it was given. */
  params: Record<string, unknown>;
  seed: number;
  /** The trainer's metrics.json; empty when it wrote none. */
  metrics: Record<string, number | null>;
  /** The trainer's metadata.json; empty when it wrote none. */
  metadata: Record<string, unknown>;
  seconds: number;
}

const STDERR_TAIL_LINES = 20;
const STDERR_TAIL_CHARS = 4000;

/** Process groups of trainers still running; killed if the worker process exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Runs a contract-following command and collects its outputs.
 * @throws TrainingError when the command cannot start, exits non-zero, or writes no model;
 * the abort reason when `signal` aborts.
 */
export async function runCommandTrainer(options: CommandTrainerOptions): Promise<CommandTrainerResult> {
  options.signal?.throwIfAborted();
  if (options.command.length === 0) throw new TrainingError('command trainer: command is empty');
  const outputDir = join(options.workDir, 'output');
  await mkdir(outputDir, { recursive: true });
  const request = buildRequest({ ...options, outputDir, params: options.params ?? {} });
  const requestPath = join(options.workDir, 'request.json');
  await writeFile(requestPath, `${JSON.stringify(request, null, 2)}\n`);

  const values = contractValues(request, requestPath);
  const [executable, ...args] = options.command.map((a) => expandPlaceholders(a, values));
  const cwd = options.cwd ?? process.cwd();
  const started = performance.now();
  await runProcess(executable, args, {
    cwd,
    env: { ...trainerBaseEnv(process.env, options.passEnv), ...options.env, ...contractEnv(values) },
    onProgress: options.onProgress,
    onOutput: options.onOutput,
    signal: options.signal,
    killGraceMs: options.killGraceMs ?? 5000,
    label: options.name ?? shortCommand([executable, ...args]),
  });

  const modelPath = join(outputDir, TRAINER_OUTPUTS.model);
  const metadata = await readJsonObject(join(outputDir, TRAINER_OUTPUTS.metadata));
  const name = typeof metadata.trainer === 'string' ? metadata.trainer : (options.name ?? `command:${basename(executable)}`);
  if (!existsSync(modelPath)) {
    throw new TrainingError(`trainer "${name}" exited 0 but wrote no ${TRAINER_OUTPUTS.model} to ${outputDir}`, {
      details: { outputDir },
    });
  }
  return {
    modelPath,
    trainer: name,
    trainerVersion: typeof metadata.trainerVersion === 'string' ? metadata.trainerVersion : undefined,
    params: isRecord(metadata.params) ? metadata.params : request.params,
    seed: request.seed,
    metrics: toMetrics(await readJsonObject(join(outputDir, TRAINER_OUTPUTS.metrics))),
    metadata,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onProgress?: (progress: TrainerProgress) => void;
  onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  signal?: AbortSignal;
  killGraceMs: number;
  label: string;
}

/**
 * Runs one contract-following program in its own process group (the trust boundary every
 * registered program goes through: command trainers and command steps).
 */
export function runProcess(executable: string, args: string[], o: ProcessOptions): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // detached: the trainer leads a new process group, so one kill reaches its children too.
    const child = spawn(executable, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = child.pid;
    if (pgid !== undefined) trackGroup(pgid);
    const stderrTail: string[] = [];
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (pgid !== undefined) liveGroups.delete(pgid);
      fn();
    };

    const onAbort = (): void => {
      if (pgid === undefined) return;
      killGroup(pgid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pgid, 'SIGKILL'), o.killGraceMs);
      killTimer.unref();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });

    createInterface({ input: child.stdout }).on('line', (line) => {
      const progress = parseProgressLine(line);
      if (progress && !o.signal?.aborted) o.onProgress?.(progress);
      else if (!progress) o.onOutput?.('stdout', line);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      o.onOutput?.('stderr', line);
    });

    // Only a failure to start has no pid; later errors (a failed kill) are not the trainer's result.
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) settle(() => reject(startError(executable, o.cwd, err)));
    });
    // Whatever the trainer left running in its group is an orphan of this run.
    child.on('exit', () => {
      if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (o.signal?.aborted) return settle(() => reject(abortReason(o.signal!)));
      if (code === 0) return settle(resolvePromise);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = tailText(stderrTail);
      const error = new TrainingError(
        `trainer "${o.label}" ${how}${tail ? `; last stderr lines:\n${tail}` : ' and printed nothing on stderr'}`,
        { details: { exitCode: code, signal, stderrTail: tail } },
      );
      settle(() => reject(error));
    });
  });
}

/** What every trainer gets of the worker's environment: where programs, home and temp files are, and the locale. */
export const TRAINER_BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TMP', 'TEMP'] as const;

/**
 * An allow-list, not a deny-list: the worker holds secrets a trainer must never see (the registry
 * URL with its password, the model server's admin token, Temporal's API key, cloud credentials),
 * and new ones appear with every deployment. A trainer gets {@link TRAINER_BASE_ENV} plus the
 * names its registration declares in `passEnv`.
 */
export function trainerBaseEnv(env: NodeJS.ProcessEnv, passEnv: readonly string[] = []): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of [...TRAINER_BASE_ENV, ...passEnv]) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function startError(executable: string, cwd: string, err: NodeJS.ErrnoException): TrainingError {
  const where = resolve(cwd, executable);
  const missing = err.code === 'ENOENT';
  let message = missing
    ? `trainer command "${executable}" was not found (looked for ${executable.includes('/') ? where : `${executable} on PATH`})`
    : `trainer command "${executable}" could not start: ${err.message}`;
  if (missing && /python/i.test(basename(executable))) {
    message +=
      '. Python trainers run in the project\'s virtual environment: create it with "make setup" ' +
      '(or "bash scripts/python-env.sh"), or run a pipeline without Python trainers, e.g. {"pipeline":"flight-delay-builtin"}';
  }
  return new TrainingError(message, { cause: err, details: { executable, cwd, code: err.code } });
}

function shortCommand(argv: string[]): string {
  const text = argv.join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    // ESRCH: the whole group is gone already.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Detached groups outlive the worker unless told otherwise; 'exit' handlers must be synchronous, and kill is.
  process.once('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

function tailText(lines: string[]): string {
  const text = lines.join('\n').trimEnd();
  return text.length > STDERR_TAIL_CHARS ? `…${text.slice(-STDERR_TAIL_CHARS)}` : text;
}

export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  if (!existsSync(path)) return {};
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new TrainingError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isRecord(value)) throw new TrainingError(`${path} must hold a JSON object`);
  return value;
}

/** Keeps the numeric (and null) entries of metrics.json; anything else is not a metric. */
function toMetrics(raw: Record<string, unknown>): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(raw).filter((e): e is [string, number | null] => e[1] === null || typeof e[1] === 'number'),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('training was aborted', 'AbortError');
}
