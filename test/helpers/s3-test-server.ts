/**
 * A real S3-compatible server for tests: moto's server mode (installed from PyPI by
 * scripts/s3-test-server.sh into its own venv) on a free loopback port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 's3-test-server.sh');

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

/** Installs moto when needed (about a minute, once per machine). */
export function installS3Server(): void {
  execFileSync('bash', [SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts moto_server on a free loopback port; `auth` makes it check every request's credentials. */
export async function startS3Server(auth = false): Promise<S3Server> {
  const port = await freePort();
  const env = { ...process.env, ...(auth ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}) };
  const child: ChildProcess = spawn('bash', [SCRIPT, 'start', String(port)], { env, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`moto_server did not start on ${endpoint}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
