/**
 * The world of the model-server attacks: a registry database with real principals and
 * tokens, tiny real ONNX models of the flights features, and a real model server process
 * (src/serving/main.ts) over them, plus probes of everything an attack could change: a
 * model's stats, its deployment, the audit log's head.
 */
import { afterAll, beforeAll } from 'vitest';
import { openGovernance, type Governance } from '../../../src/registry/create-registry';
import type { Role } from '../../../src/auth/roles';
import { killHard, spawnServer, type ServerProcess } from '../../../src/serving/server-process';
import { ADMIN_TOKEN, call, createServingWorld, serverProcessEnv, flight, tinyFlightsModel, type ServingWorld } from '../../serving/serving-fixtures';

export const MODEL = 'flights';

export interface AttackWorld {
  world: ServingWorld;
  governance: Governance;
  server: ServerProcess;
  base: string;
  /** Tokens by principal name: root (admin), lena (labeler of flights), lou (labeler of another model), vera (viewer), otto (operator), abe (approver of flights). */
  tokens: Record<string, string>;
  /** Versions of MODEL: a good champion (P rises with distance) and a canary. */
  champion: number;
  canary: number;
  /** Stats of MODEL as the canary analysis reads them (admin API). */
  stats(): Promise<any>;
  /** The deployment of MODEL as the admin API returns it, or the 404 body. */
  deployment(): Promise<{ status: number; body: any }>;
  auditHead(): Promise<{ seq: number; hash: string }>;
  close(): Promise<void>;
}

const PRINCIPALS: { name: string; roles: Role[]; grant?: string }[] = [
  { name: 'lena', roles: ['labeler'], grant: MODEL },
  { name: 'lou', roles: ['labeler'], grant: 'another-model' },
  { name: 'vera', roles: ['viewer'] },
  { name: 'otto', roles: ['operator'] },
  { name: 'abe', roles: ['approver'], grant: MODEL },
];

/**
 * Starts the world with MODEL deployed at `weights` (champion first).
 * @param env extra settings of the server process (limits, quotas)
 */
export async function startAttackWorld(options: { weights?: [number, number]; env?: Record<string, string> } = {}): Promise<AttackWorld> {
  const world = await createServingWorld();
  const governance = await openGovernance({ registryPath: world.registryPath });
  const tokens: Record<string, string> = {};
  const issued = await governance.access.bootstrap({ admin: 'root' });
  tokens.root = issued.token;
  const root = (await governance.access.authenticate(issued.token))!;
  for (const p of PRINCIPALS) {
    await governance.access.setPrincipal({ name: p.name, roles: p.roles }, root);
    if (p.grant) await governance.access.grant({ principal: p.name, model: p.grant }, root);
    tokens[p.name] = (await governance.access.createToken({ principal: p.name, label: 'attack test' }, root)).token;
  }
  const champion = (await world.register(MODEL, tinyFlightsModel({ distance: 2 }))).version;
  const canary = (await world.register(MODEL, tinyFlightsModel({ distance: 1.5, bias: 0.2 }))).version;
  const server = await spawnServer({
    ...serverProcessEnv(world),
    ...options.env,
  });
  const [wc, wk] = options.weights ?? [50, 50];
  const put = await call(server.base, 'PUT', `/admin/v1/models/${MODEL}/deployment`, { versions: [{ version: champion, weight: wc }, { version: canary, weight: wk }] });
  if (put.status !== 200) throw new Error(`deploying ${MODEL} failed: ${JSON.stringify(put.body)}`);
  return {
    world,
    governance,
    server,
    base: server.base,
    tokens,
    champion,
    canary,
    stats: async () => (await call(server.base, 'GET', `/admin/v1/models/${MODEL}/stats?windowSeconds=3600`)).body,
    deployment: () => call(server.base, 'GET', `/admin/v1/models/${MODEL}/deployment`),
    auditHead: () => governance.audit.head(),
    async close() {
      await killHard(server);
      await governance.close();
      await world.close();
    },
  };
}

/** Long and short flights alternating, so every label set has both classes. */
export const rows = (n: number) => Array.from({ length: n }, (_, i) => flight(i % 2 === 0 ? 1600 : 400));

/** The true labels of {@link rows}: long flights are delayed. */
export const truth = (n: number): (0 | 1)[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));

/** Labelled rows per version in the stats, e.g. `{ 1: 0, 2: 100 }`. */
export const labelCounts = (stats: any): Record<number, number> => Object.fromEntries(stats.versions.map((v: any) => [v.version, v.feedback.labels]));

/**
 * Starts one attack world (see {@link startAttackWorld}) before the calling file's tests and closes it after them.
 * Returns a getter, valid inside tests and hooks that run after the world started.
 */
export function useAttackWorld(options: Parameters<typeof startAttackWorld>[0] = {}): () => AttackWorld {
  let w: AttackWorld | undefined;
  beforeAll(async () => {
    w = await startAttackWorld(options);
  }, 60_000);
  afterAll(async () => {
    await w?.close();
    w = undefined;
  });
  return () => {
    if (!w) throw new Error('useAttackWorld: the attack world exists only inside the tests of the file that called it');
    return w;
  };
}
