/**
 * The cache input of a `command` step: the registered program as it is now (command, literal
 * environment, the digests of its code files, as for command trainers) and the digest of every
 * artifact its `inputs` name. Editing the program or its registration re-runs the step; an
 * unregistered program is not keyed (the step then fails with the name).
 */
import type { CommandParams } from '../pipeline/command-params';
import type { StepRequest } from '../pipeline/types';
import type { TrainerRegistry } from '../training/trainer-registry';
import { commandInputs } from '../activities/command-step';
import type { FileDigests } from './file-digests';
import { createTrainerFingerprint } from './trainer-fingerprint';
import { Uncacheable } from './uncacheable';

export function createCommandFingerprint(programs: TrainerRegistry | undefined, digest: FileDigests) {
  const code = createTrainerFingerprint({ builtinVersion: 'n/a', digest });
  return async function commandFingerprint(req: StepRequest, params: CommandParams): Promise<unknown> {
    const entry = programs?.get(params.program);
    if (!entry || entry.kind !== 'step') return new Uncacheable(`no registered command step program "${params.program}"`);
    const inputs = Object.fromEntries(Object.entries(commandInputs(req, params)).map(([name, ref]) => [name, ref.sha256]));
    return { program: params.program, env: entry.env, passEnv: entry.passEnv, code: await code(req, { trainer: 'command', command: entry.command }), inputs };
  };
}
