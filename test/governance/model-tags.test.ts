/**
 * Version tags and `models:/` URIs as users reach them, on SQLite and PostgreSQL: the real API
 * app (Fastify inject; these routes never touch Temporal, so its client is constructed lazily
 * and never connects), the real console routes with session cookies and CSRF, and the real
 * CLI process, all on one governance store with real tokens. Only an approver with a grant on
 * the model, or an admin, tags; every refusal leaves the tags and the audit head unchanged.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { consoleRoutes } from '../../src/console/console-routes';
import { buildApi } from '../../src/api/server';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { loadConfig } from '../../src/config';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { move, registration } from '../support/registry-test-fixtures';
import { BACKENDS } from '../support/test-backends';
import { createGovernanceStore, type GovernanceStore } from './governance-store';
import { addPrincipals } from '../support/principals';

const run = promisify(execFile);
const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');
const MODEL = 'churn';
const CALLERS = ['viewer', 'operator', 'noGrant', 'approver', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`version tags and models:/ URIs on ${backend.name}${backend.skip ? ` (SKIPPED: ${backend.skip})` : ''}`, () => {
    let store: GovernanceStore;
    let dataDir: string;
    let governance: Governance;
    let app: Awaited<ReturnType<typeof buildApi>>;
    let cliEnv: NodeJS.ProcessEnv;
    const tokens = {} as Record<Caller, string>;

    beforeAll(async () => {
      store = await createGovernanceStore(backend.name);
      dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-tags-'));
      const env = { SLIPWAY_DATA_DIR: dataDir, ...store.env };
      governance = await openGovernance(loadConfig(env));
      const { access, registry } = governance;
      tokens.admin = (await access.bootstrap({ admin: 'root' })).token;
      const root = (await access.authenticate(tokens.admin))!;
      await addPrincipals(access, root, tokens, [['viewer', 'vic', 'viewer'], ['operator', 'otto', 'operator'], ['noGrant', 'noah', 'approver'], ['approver', 'ann', 'approver']] as const);
      // A grant on the model's champion alias is a grant on the model: tagging ignores the alias.
      await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
      await access.grant({ principal: 'noah', model: 'elsewhere' }, root);
      for (const i of [1, 2, 3]) await registry.registerVersion(registration({ idempotencyKey: `wf-${i}/register`, tags: i === 2 ? { team: 'growth' } : {} }));
      await registry.setAlias(move({ version: 2 }));
      const temporal = new Client(); // lazy: never connects
      const deps = {
        slipway: new SlipwayClient(temporal, { taskQueue: 'tags' }),
        schedules: new PipelineSchedules(temporal, 'tags'),
        registry,
        access,
        audit: governance.audit,
        authenticator: apiAuthenticator(access),
        taskQueue: 'tags',
        pipelinesDir: 'pipelines',
      };
      app = await buildApi({ ...deps, routes: [consoleRoutes(deps)] });
      const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, SLIPWAY_REGISTRY_PATH: _p, ...inherited } = process.env;
      cliEnv = { ...inherited, ...env };
    });
    afterAll(async () => {
      await app?.close();
      await governance?.close();
      await store?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    });

    const api = (caller: Caller, method: 'GET' | 'POST', url: string, payload?: unknown) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${tokens[caller]}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    const state = async () => ({ tags: (await governance.registry.listVersions(MODEL)).map((v) => v.tags), head: await governance.audit.head() });
    const slipway = (args: string[], caller?: Caller) =>
      run(BIN, args, { env: { ...cliEnv, ...(caller ? { SLIPWAY_TOKEN: tokens[caller] } : {}) }, timeout: 60_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('refuses viewers, operators and approvers without a grant on the model (API 403, CLI exit 2), changing nothing', async () => {
      const before = await state();
      for (const caller of ['viewer', 'operator', 'noGrant'] as const) {
        const res = await api(caller, 'POST', `/v1/models/${MODEL}/versions/2/tags`, { set: { stage: 'ga' } });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ action: 'version.annotate', requiredRole: 'approver' });
      }
      // The CLI checks the same rule (one process per refusal is slow on a shared machine: two suffice).
      for (const caller of ['operator', 'noGrant'] as const) {
        const cli = await slipway(['models', 'tag', MODEL, 'v2', '--set', 'stage=ga'], caller);
        expect(cli.code).toBe(2);
        expect(cli.stderr).toMatch(caller === 'noGrant' ? /noah has the approver role but no grant on model churn/ : /needs the approver role/);
      }
      expect(await state()).toEqual(before);
    });

    it('refuses bad keys and values, unknown versions and malformed URIs with the field named, changing nothing', async () => {
      const before = await state();
      const refused = async (url: string, body: unknown) => {
        const res = await api('approver', 'POST', url, body);
        return [res.statusCode, String(res.json().message) + (res.json().problems ? ` ${res.json().problems.join('; ')}` : '')];
      };
      const tags = `/v1/models/${MODEL}/versions/2/tags`;
      expect(await refused(tags, { set: { 'bad key': 'x' } })).toEqual([400, expect.stringContaining('setTags key must be a tag key')]);
      expect(await refused(tags, { set: { note: 'x'.repeat(5001) } })).toEqual([400, expect.stringContaining('setTags.note must be at most 5000 characters')]);
      expect(await refused(tags, { set: { note: 'a\nb' } })).toEqual([400, expect.stringContaining('without control characters')]);
      expect(await refused(tags, { remove: ['-x'] })).toEqual([400, expect.stringContaining('removeTags[0] must be a tag key')]);
      expect(await refused(tags, {})).toEqual([400, expect.stringContaining('name at least one tag to set or remove')]);
      expect(await refused(tags, { set: { a: 1 } })).toEqual([400, expect.stringContaining('body.set.a')]);
      expect(await refused(`/v1/models/${MODEL}/versions/9/tags`, { set: { a: 'b' } })).toEqual([404, 'models:/churn/9: model churn has no version 9; its versions are 1 to 3']);
      expect(await refused(`/v1/models/${MODEL}/versions/@staging/tags`, { set: { a: 'b' } })).toEqual([404, expect.stringContaining('has no alias "staging" (its aliases: champion)')]);
      expect(await refused(`/v1/models/${MODEL}/versions/${encodeURIComponent('models:/fraud/1')}/tags`, { set: { a: 'b' } })).toEqual([
        400,
        expect.stringContaining('it names model "fraud", but the request is about "churn"'),
      ]);
      const cli = await slipway(['models', 'tag', 'models:/churn@Champion', '--set', 'a=b'], 'approver');
      expect(cli).toMatchObject({ code: 2, stderr: expect.stringContaining('model: "models:/churn@Champion" is not a model version: the alias "Champion" must be lowercase') });
      expect((await slipway(['models', 'tag', 'models:/churn/2', '--set', 'noequals'], 'approver')).stderr).toContain('--set "noequals": expected key=value');
      expect(await state()).toEqual(before);
    });

    it('lets a granted approver and an admin set and remove tags by number, alias or URI, audited once each with who and from where', async () => {
      const head = (await governance.audit.head()).seq;
      const set = await api('approver', 'POST', `/v1/models/${MODEL}/versions/@champion/tags`, { set: { stage: 'ga', 'team/owner': 'ann' }, reason: 'launched' });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toMatchObject({ version: 2, tags: { team: 'growth', stage: 'ga', 'team/owner': 'ann' } });
      const removed = await api('admin', 'POST', `/v1/models/${MODEL}/versions/${encodeURIComponent('models:/churn/2')}/tags`, { remove: ['team'] });
      expect(removed.json().tags).toEqual({ stage: 'ga', 'team/owner': 'ann' });

      const cli = await slipway(['models', 'tag', 'models:/churn/3', '--set', 'candidate=yes', '--set', 'note=a=b', '--reason', 'review', '--json'], 'approver');
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ version: 3, tags: { candidate: 'yes', note: 'a=b' } });

      const entries = await governance.audit.list({ afterSeq: head });
      expect(entries.map((e) => [e.actor, e.action, e.target, e.reason, e.details.setTags, e.details.removeTags])).toEqual([
        ['ann', 'version.annotate', 'model:churn/v2', 'launched', { stage: 'ga', 'team/owner': 'ann' }, []],
        ['root', 'version.annotate', 'model:churn/v2', '', {}, ['team']],
        ['ann', 'version.annotate', 'model:churn/v3', 'review', { candidate: 'yes', note: 'a=b' }, []],
      ]);
      expect(entries.map((e) => e.origin)).toEqual(['api 127.0.0.1 "lightMyRequest"', 'api 127.0.0.1 "lightMyRequest"', 'cli']);
      expect(await governance.audit.verify()).toMatchObject({ ok: true });
    });

    it('resolves models:/ URIs through the API and the CLI wherever a version is named', async () => {
      const resolved = await api('viewer', 'GET', `/v1/model-versions?uri=${encodeURIComponent('models:/churn@champion')}`);
      expect(resolved.json()).toMatchObject({ uri: 'models:/churn@champion', resolvedUri: 'models:/churn/2', model: MODEL, version: 2 });
      const malformed = await api('viewer', 'GET', `/v1/model-versions?uri=${encodeURIComponent('models:/churn')}`);
      expect([malformed.statusCode, malformed.json().message]).toEqual([
        400,
        'uri: "models:/churn" is not a model version: it names a model but no version or alias. Accepted: models:/<name>/<version> (e.g. models:/churn/3) or models:/<name>@<alias> (e.g. models:/churn@champion)',
      ]);
      const schemeless = await api('viewer', 'GET', `/v1/model-versions?uri=${encodeURIComponent('churn@champion')}`);
      expect([schemeless.statusCode, schemeless.json().message]).toEqual([400, expect.stringMatching(/^uri: "churn@champion" is not a model version: it must start with models:\/\. Accepted: models:\/<name>\/<version>/)]);
      expect((await api('viewer', 'GET', `/v1/model-versions?uri=${encodeURIComponent('models:/churn/9')}`)).statusCode).toBe(404);
      expect((await api('viewer', 'GET', `/v1/models/${MODEL}/versions/@champion`)).json().version).toBe(2);
      expect((await api('viewer', 'GET', `/v1/models/${MODEL}/versions/v3/lineage`)).json()).toMatchObject({ model: MODEL, version: 3 });
      const compared = (await api('viewer', 'GET', `/v1/models/${MODEL}/compare?versions=1,@champion,${encodeURIComponent('models:/churn/3')}`)).json();
      expect(compared).toMatchObject({ versions: [1, 2, 3], aliases: [[], ['champion'], []] });

      const shown = await slipway(['models', 'show', 'models:/churn@champion', '--json']);
      expect(JSON.parse(shown.stdout)).toMatchObject({ model: MODEL, version: 2 });
      const cmp = await slipway(['models', 'compare', 'models:/churn/1', '@champion', 'v3', '--json']);
      expect(JSON.parse(cmp.stdout).map((r: { version: number }) => r.version)).toEqual([1, 2, 3]);
      expect((await slipway(['models', 'lineage', 'models:/churn/3', '--json'])).stdout).toContain('"version": 3');
      const unknown = await slipway(['models', 'show', 'models:/churn@staging']);
      expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('models:/churn@staging: model churn has no alias "staging"') });
      expect((await slipway(['rollback', 'models:/churn/1', 'v1', '--reason', 'x'])).stderr).toContain('give either a models:/ URI or a model and a version, not both');
    });

    it('shows tags in the console and offers the tag form only to those who may tag; the form sets and removes, refusals change nothing', async () => {
      const signIn = async (caller: Caller) => {
        const res = await app.inject({ method: 'POST', url: '/ui/login', payload: `token=${encodeURIComponent(tokens[caller])}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        return String(res.headers['set-cookie']).split(';')[0];
      };
      const pageOf = async (session: string, url: string) => (await app.inject({ method: 'GET', url, headers: { cookie: session } })).body;
      const post = (session: string, csrf: string, form: Record<string, string>, version = '3') =>
        app.inject({
          method: 'POST',
          url: `/ui/models/${MODEL}/versions/${version}/tags`,
          payload: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
          headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
        });
      const csrfOf = (body: string) => body.match(/name="_csrf" value="([^"]+)"/)![1];

      const before = await state();
      for (const caller of ['viewer', 'noGrant'] as const) {
        const session = await signIn(caller);
        const body = await pageOf(session, `/ui/models/${MODEL}/versions/3`);
        expect(body).toContain('<code>candidate</code>');
        expect(body).toContain('models:/churn/3');
        expect(body).not.toContain('Set tag');
        expect((await post(session, csrfOf(body), { op: 'set', key: 'stage', value: 'x' })).statusCode).toBe(403);
      }
      const session = await signIn('approver');
      const body = await pageOf(session, `/ui/models/${MODEL}/versions/3`);
      expect(body).toContain('Set tag');
      expect((await post(session, 'forged', { op: 'set', key: 'stage', value: 'x' })).statusCode).toBe(403);
      const bad = await post(session, csrfOf(body), { op: 'set', key: 'bad key', value: 'x' });
      expect([bad.statusCode, bad.body]).toEqual([400, expect.stringContaining('setTags key must be a tag key')]);
      expect((await post(session, csrfOf(body), { op: 'set', key: 'k', value: 'x' }, '9')).statusCode).toBe(404);
      expect(await state()).toEqual(before);

      const ok = await post(session, csrfOf(body), { op: 'set', key: 'stage', value: 'shadow' });
      expect([ok.statusCode, ok.headers.location]).toEqual([303, `/ui/models/${MODEL}/versions/3#h-tags`]);
      expect((await post(session, csrfOf(body), { op: 'remove', key: 'candidate' })).statusCode).toBe(303);
      expect((await governance.registry.getVersion(MODEL, 3))!.tags).toEqual({ note: 'a=b', stage: 'shadow' });
      const list = await pageOf(session, `/ui/models/${MODEL}`);
      expect(list).toContain('<code>stage=shadow</code>');
      expect((await governance.audit.list({ action: 'version.annotate', newestFirst: true, limit: 2 })).map((e) => [e.actor, e.origin.split(' ')[0]])).toEqual([
        ['ann', 'console'],
        ['ann', 'console'],
      ]);
    });
  });
}
