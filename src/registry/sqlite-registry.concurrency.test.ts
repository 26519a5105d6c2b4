import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRegistryError } from './registry-error';
import { move, registration, registerVersions } from '../../test/support/registry-test-fixtures';
import { useSqliteRegistryFiles } from '../../test/support/sqlite-registry-files';

const files = useSqliteRegistryFiles('slipway-registry-race-');
const openRegistry = (path?: string) => files.open(path);

describe('SqliteModelRegistry shared by several connections', () => {
  it('lets exactly one of two registries on the same file win a move from the same expected version', async () => {
    const setup = openRegistry();
    await registerVersions(setup, 3);
    const [a, b] = [openRegistry(), openRegistry()];

    const results = await Promise.allSettled([
      a.setAlias(move({ version: 2, actor: 'a' })),
      b.setAlias(move({ version: 3, actor: 'b' })),
    ]);

    const winners = results.filter((r) => r.status === 'fulfilled');
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(winners).toHaveLength(1);
    expect(isRegistryError(losers[0].reason, 'stale-alias')).toBe(true);
    expect(await setup.aliasHistory('churn')).toHaveLength(1);
  });

  it('lets exactly one of several processes win a move from the same expected version', async () => {
    await registerVersions(openRegistry(), 6);
    const results = await raceInChildProcesses('alias', 6);

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => r.kind)).toEqual(Array(5).fill('stale-alias'));
    const history = await openRegistry().aliasHistory('churn', 'champion');
    expect(history).toHaveLength(1);
    expect(history[0].actor).toBe(results.find((r) => r.ok)?.actor);
  });

  it('keeps an unbroken history while several processes keep moving an alias', async () => {
    await registerVersions(openRegistry(), 6);
    const results = await raceInChildProcesses('loop', 4);

    expect(results.filter((r) => !r.ok)).toEqual([]);
    const history = await openRegistry().aliasHistory('churn', 'champion');
    expect(history).toHaveLength(results.reduce((sum, r) => sum + (r.wins ?? 0), 0));
    history.slice(1).forEach((m, i) => expect(m.fromVersion).toBe(history[i].toVersion));
  });

  it('gives every version a distinct number when several processes register at once', async () => {
    openRegistry(); // creates the schema so the children only race on registrations
    const results = await raceInChildProcesses('register', 6);
    expect(results.every((r) => r.ok)).toBe(true);
    const registry = openRegistry();
    expect((await registry.listVersions('churn')).map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

interface ChildResult {
  ok: boolean;
  actor: string;
  kind?: string;
  wins?: number;
}

/**
 * Starts `count` separate Node processes on the test's database. Each opens its own
 * connection and reports ready; once all are ready they are released together to register
 * a version, to move `champion` from unset to a version of their own, or to keep moving it.
 */
async function raceInChildProcesses(mode: 'register' | 'alias' | 'loop', count: number): Promise<ChildResult[]> {
  const script = `
    const { SqliteModelRegistry } = require(${JSON.stringify(join(__dirname, 'sqlite-registry.ts'))});
    const [path, mode, actor, version, input] = process.argv.slice(1);
    const registry = new SqliteModelRegistry({ path });
    const champion = { model: 'churn', alias: 'champion', actor, reason: 'race' };
    const modes = {
      register: async () => { await registry.registerVersion({ ...JSON.parse(input), idempotencyKey: actor }); return {}; },
      alias: async () => { await registry.setAlias({ ...champion, version: Number(version), expectedVersion: null }); return {}; },
      // Read-then-move in a loop: the pattern a promotion workflow follows, under contention.
      loop: async () => {
        let wins = 0;
        for (let i = 0; i < 25; i++) {
          const current = (await registry.getAlias('churn', 'champion'))?.version ?? null;
          try {
            const moved = await registry.setAlias({ ...champion, version: (current ?? 0) % 6 + 1, expectedVersion: current });
            if (moved.fromVersion !== current) throw new Error('lost update: moved from ' + moved.fromVersion);
            wins++;
          } catch (err) {
            if (err.details?.kind !== 'stale-alias') throw err;
          }
        }
        return { wins };
      },
    };
    process.stdin.once('data', () => {
      modes[mode]().then(
        (extra) => console.log(JSON.stringify({ ok: true, actor, ...extra })),
        (err) => console.log(JSON.stringify({ ok: false, actor, kind: err.details?.kind ?? String(err) })),
      ).finally(() => { registry.close(); process.stdin.destroy(); });
    });
    console.log('ready');
  `;
  const children = Array.from({ length: count }, (_, i) =>
    startChild(['--import', 'tsx', '-e', script, files.dbPath(), mode, `child-${i}`, String(i + 1), JSON.stringify(registration())]),
  );
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  return (await Promise.all(children.map((c) => c.result))).map((line) => JSON.parse(line) as ChildResult);
}

/** A child process that prints `ready`, waits for a line on stdin, then prints one result line. */
function startChild(args: string[]): { ready: Promise<void>; go: () => void; result: Promise<string> } {
  const child = spawn(process.execPath, args, { cwd: resolve(__dirname, '../..'), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolveReady) => (markReady = resolveReady));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<string>((resolveResult, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady(); // never leave the barrier hanging on a child that died early
      if (code === 0) resolveResult(stdout.slice('ready\n'.length).trim());
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.write('go\n'), result };
}
