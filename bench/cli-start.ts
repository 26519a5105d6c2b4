/**
 * Benchmark: wall time of a `slipway` command that never reaches Temporal (`models list` on an
 * empty SQLite registry; `data quarantine`), and of `slipway --version`, against two floors
 * measured in the same run: `tsx` running an empty file (what bin/slipway costs before any of
 * Slipway loads) and bare `node -e 0`. Rounds alternate so every command sees the same machine.
 * Usage: npm run bench:cli [-- --rounds 7]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const i = process.argv.indexOf('--rounds');
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 7;

async function wallMs(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  // A command that exits non-zero (none should here) still measures, but says so.
  await run(file, args, { env, cwd: ROOT }).catch((err: { code?: number; stderr?: string }) => {
    throw new Error(`${path.basename(file)} ${args.join(' ')} exited ${err.code}: ${err.stderr}`);
  });
  return performance.now() - started;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-bench-cli-'));
  try {
    const empty = path.join(dir, 'empty.ts');
    await writeFile(empty, 'export {};\n');
    const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, ...inherited } = process.env;
    const env = { ...inherited, SLIPWAY_DATA_DIR: dir };
    const bin = path.join(ROOT, 'bin', 'slipway');
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const cases: Array<[string, string, string[]]> = [
      ['node -e 0 (floor)', process.execPath, ['-e', '0']],
      ['tsx empty.ts (floor)', tsx, [empty]],
      ['slipway --version', bin, ['--version']],
      ['slipway models list', bin, ['models', 'list']],
      ['slipway data quarantine', bin, ['data', 'quarantine']],
    ];
    // One untimed pass: tsx's transform cache and the registry file exist before the first timed round.
    for (const [, file, args] of cases) await wallMs(file, args, env);
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, file, args] of r % 2 ? [...cases].reverse() : cases) times.get(name)!.push(await wallMs(file, args, env));
    }
    const tsxFloor = median(times.get('tsx empty.ts (floor)')!);
    console.log(`median of ${ROUNDS} rounds (ms), and the ratio to tsx running an empty file in the same run`);
    for (const [name] of cases) {
      const m = median(times.get(name)!);
      console.log(`${name.padEnd(26)} ${m.toFixed(0).padStart(6)} ms   ${(m / tsxFloor).toFixed(2)}×   (${times.get(name)!.map((t) => t.toFixed(0)).join(', ')})`);
    }
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
