/**
 * Runs the Slipway worker as a child process (`node --import tsx src/worker.ts`, as
 * scripts/worker.sh does) and waits for its "worker started" log line: for tests that kill one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.join(__dirname, '..', '..');

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  /** The identity its Temporal Workers report (the SDK's default, `<pid>@<host>`). */
  identity: string;
  /** Log lines so far (pino JSON). */
  logs: string[];
}

/** @param cwd the folder it runs in, as a checkout whose relative paths (data/, sources) resolve there; @default the repository */
export async function spawnWorker(name: string, env: Record<string, string>, timeoutMs = 120_000, cwd = ROOT): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'worker.ts')], {
    cwd,
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start within ${timeoutMs} ms: ${stderr.join('')}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code}: ${stderr.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (/"msg":"worker started"/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { name, child, identity: `${child.pid}@${os.hostname()}`, logs };
}

const exited = (p: WorkerProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

/** SIGKILL: no shutdown hook runs, in-flight tasks are simply lost, as in a crash or an OOM kill. */
export async function killHard(p: WorkerProcess): Promise<void> {
  if (exited(p)) return;
  const done = once(p.child, 'exit');
  p.child.kill('SIGKILL');
  await done;
}

/** SIGTERM, then waits: the worker stops polling and finishes what it runs. */
export async function stopWorker(p: WorkerProcess): Promise<void> {
  if (exited(p)) return;
  const done = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  await done;
}
