/**
 * One production-like Slipway for the trust-boundary attacks of items 1–6 (issue #13, spec
 * policy and identity): a real Temporal dev server, a worker with NO dev principal and a
 * run-signing key, the HTTP API over a real SQLite registry with real tokens for
 * root (admin), otto (operator), ann (approver, granted `owned@champion` and `flight-delay`),
 * noah (approver, no grant) and vic (viewer), and a model `owned` whose champion is v1.
 * `snapshot()` is what "nothing changed" compares: every alias of the watched models and the audit head.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { apiAuthenticator } from '../../../src/auth/authenticator';
import { buildApi } from '../../../src/api/server';
import { PipelineSchedules } from '../../../src/client/schedules';
import { SlipwayClient } from '../../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../../src/registry/create-registry';
import { move, registration } from '../../support/registry-test-fixtures';
import { loadTrainerRegistry } from '../../../src/training/trainer-registry';
import { createGovernanceStore, type GovernanceStore } from '../../governance/governance-store';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../../helpers/slipway-harness';
import { startDevServer } from '../../helpers/temporal-env';

export const WINDOW = { ingest: { window: { from: '2001-03-01', to: '2001-03-10' } } };
export const WHO = ['root', 'otto', 'ann', 'noah', 'vic'] as const;
export type Who = (typeof WHO)[number];

export interface Snapshot {
  aliases: Record<string, number | null>;
  auditSeq: number;
}

export interface TrustEnv {
  env: TestWorkflowEnvironment;
  h: Harness;
  governance: Governance;
  base: string;
  tokens: Record<Who, string>;
  /** A client that signs nothing: what anyone who reaches Temporal has. */
  raw: SlipwayClient;
  call(who: Who, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  snapshot(models?: string[]): Promise<Snapshot>;
  close(): Promise<void>;
}

export async function startTrustEnv(extraEnv: Record<string, string> = {}): Promise<TrustEnv> {
  const env = await startDevServer();
  const store: GovernanceStore = await createGovernanceStore('sqlite');
  // Production: no dev principal, so nothing unsigned passes for anyone.
  const h = await startHarness(env, { ...store.env, SLIPWAY_DEV_PRINCIPAL: '', SLIPWAY_PIPELINES_DIR: await ownersPipelines(), ...extraEnv });
  const governance = await openGovernance(h.config);
  const { access, registry } = governance;
  const rootToken = (await access.bootstrap({ admin: 'root' })).token;
  const root = (await access.authenticate(rootToken))!;
  const tokens = { root: rootToken } as Record<Who, string>;
  for (const [name, role] of [['otto', 'operator'], ['ann', 'approver'], ['noah', 'approver'], ['vic', 'viewer']] as const) {
    await access.setPrincipal({ name, roles: [role] }, root);
    tokens[name] = (await access.createToken({ principal: name, label: name }, root)).token;
  }
  await access.grant({ principal: 'ann', model: 'owned', alias: 'champion' }, root);
  await access.grant({ principal: 'ann', model: 'flight-delay', alias: 'champion' }, root);
  for (const i of [1, 2]) await registry.registerVersion(registration({ model: 'owned', idempotencyKey: `owned-${i}/register` }));
  await registry.setAlias(move({ model: 'owned', version: 1, actor: 'root', reason: 'the owner chose v1' }));

  const app = await buildApi({
    slipway: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, signingKey: TEST_SIGNING_KEY }),
    schedules: new PipelineSchedules(env.client, h.config.taskQueue),
    registry,
    access,
    audit: governance.audit,
    taskQueue: h.config.taskQueue,
    pipelinesDir: h.config.pipelinesDir,
    trainers: loadTrainerRegistry(h.config.trust.trainersFile),
    inlineCommandPrincipals: h.config.trust.inlineCommandPrincipals,
    authenticator: apiAuthenticator(access),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    env,
    h,
    governance,
    base,
    tokens,
    raw: new SlipwayClient(env.client, { taskQueue: h.config.taskQueue }),
    async call(who, method, path, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async snapshot(models = ['owned', 'flight-delay']) {
      const aliases: Record<string, number | null> = {};
      for (const model of models) {
        for (const alias of ['champion', 'staging']) aliases[`${model}@${alias}`] = (await registry.getAlias(model, alias))?.version ?? null;
      }
      return { aliases, auditSeq: (await governance.audit.head()).seq };
    },
    async close() {
      await app.close();
      await governance.close();
      await h.close();
      await store.cleanup();
      await env.teardown();
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  for (const end = Date.now() + ms; ; ) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The shipped pipelines, with flight-delay-builtin's owner choosing non-inferiority (within 0.005 AUC) as its
 * promotion test: these tests re-run the same window, whose identical model the shipped superiority gate
 * rightly refuses, and they are about who promotes, not about how much better a model must be.
 */
async function ownersPipelines(): Promise<string> {
  const shipped = path.join(__dirname, '..', '..', '..', 'pipelines');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-owner-pipelines-'));
  for (const file of await readdir(shipped)) {
    let text = await readFile(path.join(shipped, file), 'utf8');
    if (file === 'flight-delay-builtin.yaml') {
      const before = text;
      text = text.replace('comparison: { metric: auc, test: superiority, margin: 0, alpha: 0.05 }', 'comparison: { metric: auc, test: non-inferiority, margin: 0.005, alpha: 0.05 }');
      if (text === before) throw new Error('flight-delay-builtin.yaml no longer states its comparison as these tests expect');
    }
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}
