/**
 * Runs the model server as a child process (`src/serving/main.ts` through tsx, as
 * `npm run serve` does) and finds its address in its log: for tests that kill it, the
 * benchmark and the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');
const ENTRY = join(__dirname, 'main.ts');

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  /** Log lines written so far (pino JSON). */
  logs: string[];
}

/**
 * Starts the server with `env` added to this process's environment and waits until it listens.
 * @param entry another build's `src/serving/main.ts` (a benchmark's baseline); @default this one
 */
export async function spawnServer(env: Record<string, string>, timeoutMs = 60_000, entry = ENTRY): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: entry === ENTRY ? ROOT : join(dirname(entry), '..', '..'),
    env: { ...process.env, SLIPWAY_SERVE_HOST: '127.0.0.1', SLIPWAY_SERVE_PORT: '0', SLIPWAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`model server did not listen within ${timeoutMs} ms: ${stderr.join('')}`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`model server exited with ${code}: ${stderr.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const address = /"msg":"model server listening"/.test(line) ? (JSON.parse(line) as { address: string }).address : undefined;
      if (address) {
        clearTimeout(timer);
        resolve(address);
      }
    });
  });
  return { child, base, logs };
}

/** SIGTERM, then waits for the exit (the server finishes in-flight requests first). */
export async function stopServer(p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  await exited;
}

/** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
export async function killHard(p: ServerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGKILL');
  await exited;
}
