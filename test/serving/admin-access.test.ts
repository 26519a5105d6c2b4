/**
 * The model server process checks its admin API against the registry's principals: any role
 * reads, changing a model's traffic split needs the approver role with a grant on that model
 * (or admin); the workers' service token (SLIPWAY_SERVE_ADMIN_TOKEN) is admin. Labels
 * (feedback) need the labeler role with a grant on the model (or admin). Predictions need no
 * token unless SLIPWAY_SERVE_PREDICT_AUTH is on; then any role but labeler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessControl } from '../../src/auth/access-control';
import type { Principal } from '../../src/auth/principal';
import { EXPECTED_ROLES } from '../support/role-matrix-fixture';
import type { Role } from '../../src/auth/roles';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { killHard, spawnServer, type ServerProcess } from '../../src/serving/server-process';
import { ADMIN_TOKEN, call, createServingWorld, serverProcessEnv, flight, tinyFlightsModel, type ServingWorld } from './serving-fixtures';

let world: ServingWorld;
let governance: Governance;
let server: ServerProcess;
const tokens: Record<string, string> = {};
let version: number;

async function principal(access: AccessControl, root: Principal, name: string, roles: Role[], grant?: string): Promise<void> {
  await access.setPrincipal({ name, roles }, root);
  if (grant) await access.grant({ principal: name, model: grant, alias: roles.includes('labeler') ? '*' : 'champion' }, root);
  tokens[name] = (await access.createToken({ principal: name, label: 'test' }, root)).token;
}

beforeAll(async () => {
  world = await createServingWorld();
  governance = await openGovernance({ registryPath: world.registryPath });
  const issued = await governance.access.bootstrap({ admin: 'root' });
  tokens.root = issued.token;
  const root = (await governance.access.authenticate(issued.token))!;
  await principal(governance.access, root, 'vera', ['viewer']);
  await principal(governance.access, root, 'abe', ['approver'], 'guarded');
  await principal(governance.access, root, 'noah', ['approver'], 'other-model');
  await principal(governance.access, root, 'otto', ['operator']);
  await principal(governance.access, root, 'lara', ['labeler'], 'guarded');
  await principal(governance.access, root, 'lio', ['labeler'], 'other-model');
  version = (await world.register('guarded', tinyFlightsModel({ bias: 0 }))).version;
  server = await spawnServer({
    ...serverProcessEnv(world),
  });
}, 60_000);

afterAll(async () => {
  if (server) await killHard(server);
  await governance?.close();
  await world?.close();
});

const put = (token: string | null) => call(server.base, 'PUT', '/admin/v1/models/guarded/deployment', { versions: [{ version, weight: 100 }] }, { token });

describe('model server admin API access', () => {
  it('answers 401 without a token or with an unknown one, and changes nothing', async () => {
    expect((await put(null)).status).toBe(401);
    const unknown = await put('slw_not-a-real-token');
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe('Unknown bearer token');
    expect((await call(server.base, 'GET', '/admin/v1/models/guarded/deployment')).status).toBe(404);
  });

  it('lets any role read, but not change a split without the approver role and a grant on the model', async () => {
    expect((await call(server.base, 'GET', '/admin/v1/deployments', undefined, { token: tokens.vera })).status).toBe(200);
    const viewer = await put(tokens.vera);
    expect(viewer.status).toBe(403);
    expect(viewer.body.message).toMatch(/vera \(roles: viewer\) may not deployment\.change .*needs the approver role/);
    const ungranted = await put(tokens.noah);
    expect(ungranted.status).toBe(403);
    expect(ungranted.body.message).toMatch(/noah has the approver role but no grant to move aliases of guarded@champion/);
    expect((await call(server.base, 'GET', '/admin/v1/models/guarded/deployment')).status).toBe(404);
  });

  it('lets a granted approver, an admin and the service token change it', async () => {
    expect((await put(tokens.abe)).status).toBe(200);
    expect((await put(tokens.root)).body.changed).toBe(false);
    expect((await put(ADMIN_TOKEN)).status).toBe(200);
    const predicted = await call(server.base, 'POST', '/v1/models/guarded/predict', { row: flight(900) }, { token: null });
    expect(predicted).toMatchObject({ status: 200, body: { version } });
  });
});

describe('model server feedback route access (the feedback row of the role matrix)', () => {
  // Who posts a label for a fresh prediction of "guarded", their roles, and whether a grant names "guarded".
  const cases: [string, Role[], boolean][] = [
    ['vera', ['viewer'], false],
    ['otto', ['operator'], false],
    ['abe', ['approver'], true],
    ['root', ['admin'], false],
    ['lara', ['labeler'], true],
    ['lio', ['labeler'], false],
  ];

  it.each(cases)('%s (%s) gets what the role matrix and grants say, and a refusal takes no label', async (name, roles, granted) => {
    await put(ADMIN_TOKEN);
    const predicted = await call(server.base, 'POST', '/v1/models/guarded/predict', { row: flight(1200) }, { token: null });
    expect(predicted.status).toBe(200);
    const labels = async () => (await call(server.base, 'GET', '/admin/v1/models/guarded/stats')).body.versions[0].feedback.labels as number;
    const before = await labels();
    const res = await call(server.base, 'POST', '/v1/models/guarded/feedback', { requestId: predicted.body.requestId, label: 1 }, { token: tokens[name] });
    const roleAllows = roles.some((r) => EXPECTED_ROLES.feedback.includes(r));
    const expected = roleAllows && (granted || roles.includes('admin')) ? 200 : 403;
    expect(res.status).toBe(expected);
    expect(await labels()).toBe(before + (expected === 200 ? 1 : 0));
  });

  it('answers 401 to a label without a token or with an unknown one', async () => {
    const predicted = await call(server.base, 'POST', '/v1/models/guarded/predict', { row: flight(1200) }, { token: null });
    for (const token of [null, 'slw_' + 'B'.repeat(43)]) {
      expect((await call(server.base, 'POST', '/v1/models/guarded/feedback', { requestId: predicted.body.requestId, label: 1 }, { token })).status).toBe(401);
    }
  });
});

describe('model server with SLIPWAY_SERVE_PREDICT_AUTH=true', () => {
  it('answers predictions only to a principal allowed predict (any role but labeler)', async () => {
    const guarded = await spawnServer({
      SLIPWAY_DATA_DIR: world.dir,
      SLIPWAY_REGISTRY_PATH: world.registryPath,
      SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
      SLIPWAY_SERVE_STATE_PATH: `${world.statePath}.predict-auth`,
      SLIPWAY_SERVE_ADMIN_TOKEN: ADMIN_TOKEN,
      SLIPWAY_SERVE_PREDICT_AUTH: 'true',
    });
    try {
      expect((await call(guarded.base, 'PUT', '/admin/v1/models/guarded/deployment', { versions: [{ version, weight: 1 }] })).status).toBe(200);
      const predict = (token: string | null) => call(guarded.base, 'POST', '/v1/models/guarded/predict', { row: flight(900) }, { token });
      expect((await predict(null)).status).toBe(401);
      expect((await predict(tokens.lara)).status).toBe(403);
      expect((await predict(tokens.vera)).status).toBe(200);
      const stats = (await call(guarded.base, 'GET', '/admin/v1/models/guarded/stats')).body;
      expect(stats.versions[0].requests).toBe(1);
    } finally {
      await killHard(guarded);
    }
  }, 60_000);
});
