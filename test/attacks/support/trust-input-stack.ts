/**
 * The stack the trust-input attacks run against: a real Temporal dev server, a real worker (its
 * own data folder and queue), the registry and audit log it writes, and the HTTP API on a real
 * port with a bootstrapped admin. Plus what every refusal must leave unchanged: the audit head,
 * the registry, and the runs Temporal knows.
 */
import { randomUUID } from 'node:crypto';
import { type ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { apiAuthenticator } from '../../../src/auth/authenticator';
import { buildApi } from '../../../src/api/server';
import type { AuditHead } from '../../../src/audit/audit-log';
import type { AuthFailureThrottle } from '../../../src/auth/auth-throttle';
import { PipelineSchedules } from '../../../src/client/schedules';
import { SlipwayClient } from '../../../src/client/slipway-client';
import { openGovernance, type Governance } from '../../../src/registry/create-registry';
import { statusQuery } from '../../../src/workflows/definitions';
import { startHarness, type Harness } from '../../helpers/slipway-harness';
import { startDevServer } from '../../helpers/temporal-env';

export interface Stack {
  env: TestWorkflowEnvironment;
  h: Harness;
  governance: Governance;
  slipway: SlipwayClient;
  /** The API's base URL. */
  base: string;
  /** The bootstrapped admin's token. */
  token: string;
  /** A JSON request to the API; `token: null` sends none. */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  /** What a refusal must not change. */
  snapshot(): Promise<Snapshot>;
  /**
   * Starts a pipeline through Temporal itself (the side door, no API pre-check), expects it to
   * fail, and returns the failure and everything a viewer can read about the run (failure chain
   * and status query) as one text.
   */
  mustFail(input: unknown): Promise<{ failure: ApplicationFailure; visible: string }>;
  /** True when Temporal has no workflow with this id. */
  noWorkflow(workflowId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface Snapshot {
  auditHead: AuditHead;
  models: unknown[];
}

export interface StackOptions {
  /** Extra worker environment (e.g. SLIPWAY_DATA_ROOTS). */
  workerEnv?: Record<string, string>;
  /** Data roots the API checks before starting a run. */
  apiDataRoots?: readonly string[];
  authThrottle?: AuthFailureThrottle;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env = await startDevServer();
  const h = await startHarness(env, options.workerEnv ?? {});
  const governance = await openGovernance(h.config);
  const token = (await governance.access.bootstrap({ admin: 'root' })).token;
  const slipway = new SlipwayClient(env.client, { taskQueue: h.config.taskQueue, uiUrl: 'http://localhost:8233' });
  const app = await buildApi({
    slipway,
    schedules: new PipelineSchedules(env.client, h.config.taskQueue),
    registry: governance.registry,
    access: governance.access,
    audit: governance.audit,
    taskQueue: h.config.taskQueue,
    pipelinesDir: h.config.pipelinesDir,
    dataRoots: options.apiDataRoots,
    authenticator: apiAuthenticator(governance.access),
    authThrottle: options.authThrottle,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    env,
    h,
    governance,
    slipway,
    base,
    token,
    async call(method, path, body, bearer = token) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
    },
    async snapshot() {
      return { auditHead: await governance.audit.head(), models: await governance.registry.listModels() };
    },
    async mustFail(input) {
      const handle = await env.client.workflow.start('pipeline', { taskQueue: h.config.taskQueue, workflowId: `attack-${randomUUID()}`, args: [input] });
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof WorkflowFailedError)) throw new Error(`expected the run to fail, got ${String(err)}`);
      const chain: string[] = [];
      for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) chain.push(cause.message, JSON.stringify((cause as ApplicationFailure).details ?? []));
      const status = await handle.query(statusQuery).catch(() => ({}));
      return { failure: err.cause as ApplicationFailure, visible: `${chain.join('\n')}\n${JSON.stringify(status)}` };
    },
    async noWorkflow(workflowId) {
      try {
        await env.client.workflow.getHandle(workflowId).describe();
        return false;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return true;
        throw err;
      }
    },
    async close() {
      await app.close();
      await governance.close();
      await h.close();
      await env.teardown();
    },
  };
}
