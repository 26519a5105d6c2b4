/**
 * The cache input of a train step: the trainer's code, which the train kind's own version does
 * not cover. For the built-in trainer its version constant; for a `command` trainer the sha256
 * of every file its command names (the script, a relative interpreter) and of that file's
 * same-extension siblings (the script's local modules, e.g. trainers/sklearn/*.py), so editing
 * a trainer retrains. Installed packages are not covered: rerun (`"rerun": ["train"]`) after
 * upgrading them.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { StepRequest } from '../pipeline/types';
import { createFileDigests, type FileDigests } from './file-digests';
import { Uncacheable } from './uncacheable';

export interface TrainerFingerprintOptions {
  /** Version of the built-in trainer (BUILTIN_TRAINER_VERSION). */
  builtinVersion: string;
  /** Where relative command paths resolve, as the trainer runner resolves them. @default process.cwd() */
  cwd?: string;
  digest?: FileDigests;
  /**
   * The champion's fingerprint (champion-fingerprint.ts): a warm-started fit depends on it, so a
   * new champion must mean a new key. @default warm starts are keyed without it
   */
  champion?: (req: StepRequest) => Promise<unknown>;
}

export function createTrainerFingerprint(o: TrainerFingerprintOptions) {
  const digest = o.digest ?? createFileDigests();
  return async function trainerFingerprint(req: StepRequest, params: unknown): Promise<unknown> {
    const { trainer, command, params: hyper } = params as { trainer?: unknown; command?: unknown; params?: { warmStart?: unknown } };
    if (trainer !== 'command') {
      const warm = hyper?.warmStart === true && o.champion ? { warmStart: await o.champion(req) } : {};
      return { trainer, version: o.builtinVersion, ...warm };
    }
    if (!Array.isArray(command)) return new Uncacheable('a command trainer without a command');
    const code: Array<Record<string, string>> = [];
    for (const arg of command) {
      // Placeholders ({train}, {output}, ...) stand for run data, which the key holds already.
      if (typeof arg !== 'string' || arg.includes('{')) continue;
      const file = path.resolve(o.cwd ?? process.cwd(), arg);
      const own = await digest(file);
      if (own) code.push(await withSiblings(file, own, digest));
    }
    return { trainer, code };
  };
}

async function withSiblings(file: string, own: string, digest: FileDigests): Promise<Record<string, string>> {
  const ext = path.extname(file);
  const files: Record<string, string> = { [path.basename(file)]: own };
  if (!ext) return files;
  for (const name of (await readdir(path.dirname(file))).sort()) {
    if (path.extname(name) !== ext || name in files) continue;
    const sha256 = await digest(path.join(path.dirname(file), name));
    if (sha256) files[name] = sha256;
  }
  return files;
}
