/**
 * command: runs a program an admin registered (`kind: step` in trainers/registry.yaml) on
 * declared upstream artifacts, through the same process boundary as command trainers (own
 * process group, allow-listed environment, cancellation, stderr tail on failure), and stores
 * the files it declares as content-addressed artifacts. Users add preprocessing, feature
 * engineering and custom checks to the DAG this way without the spec ever naming a command.
 *
 * The program gets a request file (`{contract, step, inputs: {name: path}, output, params, seed}`),
 * `{request}`, `{output}`, `{seed}` placeholders and SLIPWAY_REQUEST / SLIPWAY_OUTPUT / SLIPWAY_SEED /
 * SLIPWAY_INPUT_<NAME> variables. It writes each declared output file into `output`, optionally
 * `summary.json` (flat numbers, strings, booleans: the step's summary) and `meta.json`
 * (`{<artifact>: {...}}`, merged into that artifact's meta, e.g. the feature list of a snapshot it
 * rewrote). An output named like an input artifact inherits that input's meta first, so a step that
 * rewrites `train` hands the train step a snapshot with its label and features still described.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { InvalidPipelineInputError, TrainingError } from '../errors';
import type { CommandParams } from '../pipeline/command-params';
import type { ArtifactRef, StepOutputBody, StepRequest } from '../pipeline/types';
import { readJsonObject, runProcess, trainerBaseEnv } from '../training/command-trainer';
import { expandPlaceholders, seedOf, TRAINER_CONTRACT_VERSION } from '../training/trainer-contract';
import type { RegisteredTrainer, TrainerRegistry } from '../training/trainer-registry';
import { findArtifact } from './upstream';

export interface CommandStepDeps {
  store: ArtifactStore;
  programs?: TrainerRegistry;
  /** Where relative executables resolve. @default process.cwd() */
  cwd?: string;
}

const MEDIA_TYPES: Record<string, string> = { parquet: 'application/vnd.apache.parquet', json: 'application/json', onnx: 'application/onnx', csv: 'text/csv', html: 'text/html; charset=utf-8' };

/** The registered program a command step names. @throws InvalidPipelineInputError for an unknown name, a trainer's, or a param its registration does not list. */
export function registeredProgram(programs: TrainerRegistry | undefined, name: string, params: Record<string, unknown> = {}): RegisteredTrainer {
  const entry = programs?.get(name);
  if (!entry || entry.kind !== 'step') {
    const known = programs?.names().filter((n) => programs.get(n)?.kind === 'step') ?? [];
    throw new InvalidPipelineInputError([
      `with.program: no command step program "${name}" is registered (${programs?.file ?? 'no registry configured'}; registered: ${known.join(', ') || 'none'})${entry ? `; "${name}" is a trainer` : ''}`,
    ]);
  }
  if (entry.params) {
    const allowed = new Set([...entry.params, 'seed']);
    const unknown = Object.keys(params).filter((p) => !allowed.has(p));
    if (unknown.length > 0) throw new InvalidPipelineInputError([`with.params: ${unknown.join(', ')} not allowed for program "${name}" (allowed: ${[...allowed].join(', ')})`]);
  }
  return entry;
}

/** The upstream artifact each input names (`<step>.<artifact>` or the nearest `<artifact>`). */
export function commandInputs(req: StepRequest, params: CommandParams): Record<string, ArtifactRef> {
  return Object.fromEntries(
    Object.entries(params.inputs).map(([name, ref]) => {
      const dot = ref.indexOf('.');
      return [name, dot < 0 ? findArtifact(req.inputs, ref) : findArtifact(req.inputs, ref.slice(dot + 1), ref.slice(0, dot))];
    }),
  );
}

export async function runCommandStep(deps: CommandStepDeps, req: StepRequest, params: CommandParams, log: Logger): Promise<StepOutputBody<'command'>> {
  const program = registeredProgram(deps.programs, params.program, params.params);
  const inputs = commandInputs(req, params);
  const paths: Record<string, string> = {};
  for (const [name, ref] of Object.entries(inputs)) paths[name] = await deps.store.localPath(ref);
  const workDir = await deps.store.scratchDir(`command-${req.ctx.stepId}`);
  const output = join(workDir, 'output');
  const started = performance.now();
  try {
    await mkdir(output, { recursive: true });
    const seed = seedOf(params.params);
    const requestPath = join(workDir, 'request.json');
    await writeFile(requestPath, `${JSON.stringify({ contract: TRAINER_CONTRACT_VERSION, step: req.ctx.stepId, inputs: paths, output, outputs: params.outputs, params: params.params, seed }, null, 2)}\n`);
    const values = { request: requestPath, output, seed: String(seed) };
    const [executable, ...args] = program.command.map((a) => expandPlaceholders(a, values));
    const inputEnv = Object.fromEntries(Object.entries(paths).map(([name, p]) => [`SLIPWAY_INPUT_${name.toUpperCase()}`, p]));
    const ctx = Context.current();
    await runProcess(executable, args, {
      cwd: deps.cwd ?? process.cwd(),
      env: { ...trainerBaseEnv(process.env, program.passEnv), ...program.env, SLIPWAY_REQUEST: requestPath, SLIPWAY_OUTPUT: output, SLIPWAY_SEED: String(seed), ...inputEnv },
      onProgress: (p) => ctx.heartbeat({ step: req.ctx.stepId, ...p }),
      onOutput: (stream, line) => log.debug({ stream, line }, 'program output'),
      signal: ctx.cancellationSignal,
      killGraceMs: 5000,
      label: params.program,
    });
    const missing = Object.entries(params.outputs).filter(([, file]) => !existsSync(join(output, file)));
    if (missing.length > 0) {
      throw new TrainingError(`command step "${req.ctx.stepId}": program "${params.program}" exited 0 but did not write ${missing.map(([name, file]) => `${file} (output ${name})`).join(', ')} to ${output}`);
    }
    const extraMeta = await readJsonObject(join(output, 'meta.json'));
    const summary = flat(await readJsonObject(join(output, 'summary.json')));
    const artifacts: Record<string, ArtifactRef> = {};
    for (const [name, file] of Object.entries(params.outputs)) {
      const inherited = Object.values(inputs).find((ref) => ref.name === name)?.meta ?? {};
      const own = extraMeta[name];
      artifacts[name] = await deps.store.put(
        join(output, file),
        { name, mediaType: MEDIA_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream', meta: { ...inherited, ...(isRecord(own) ? own : {}), producedBy: { step: req.ctx.stepId, program: params.program } } },
        { move: true },
      );
    }
    const seconds = (performance.now() - started) / 1000;
    log.info({ program: params.program, seconds, outputs: Object.keys(artifacts) }, 'command step finished');
    return {
      artifacts,
      summary: {
        program: params.program,
        inputs: Object.fromEntries(Object.entries(inputs).map(([name, ref]) => [name, ref.sha256])),
        outputs: Object.fromEntries(Object.entries(artifacts).map(([name, ref]) => [name, { sha256: ref.sha256, bytes: ref.bytes }])),
        seconds,
        result: summary,
      },
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** summary.json's flat values; nested ones are not summary material and are dropped. */
function flat(raw: Record<string, unknown>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(
    Object.entries(raw).filter((e): e is [string, string | number | boolean | null] => e[1] === null || ['string', 'number', 'boolean'].includes(typeof e[1])),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
