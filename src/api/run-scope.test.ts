import { describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal';
import type { SlipwayClient } from '../client/slipway-client';
import { isPermissionDeniedError } from '../errors';
import { cancellableRun, decisionResource, pipelineRun, RunNotFoundError } from './run-scope';

/** What the scope rules read of Temporal: the run's description and, for decisions, its status. */
function fakeSlipway(runs: Record<string, { type: string; taskQueue: string; scheduled: boolean }>): SlipwayClient {
  return {
    taskQueue: 'slipway',
    describeRun: async (id: string) => (runs[id] ? { ...runs[id], running: true } : undefined),
    getStatus: async () => ({ model: 'churn', approval: { alias: 'production' } }),
  } as unknown as SlipwayClient;
}

const slipway = fakeSlipway({
  'nightly-1': { type: 'pipeline', taskQueue: 'slipway', scheduled: true },
  'by-hand-1': { type: 'pipeline', taskQueue: 'slipway', scheduled: false },
  'canary-churn': { type: 'canary', taskQueue: 'slipway', scheduled: false },
  'elsewhere-1': { type: 'pipeline', taskQueue: 'another-slipway', scheduled: false },
});
const operator: Principal = { name: 'otto', roles: ['operator'], grants: [] };
const admin: Principal = { name: 'root', roles: ['admin'], grants: [] };

describe('run scope', () => {
  it.each([
    ['a canary', 'canary-churn'],
    ['a pipeline of another task queue', 'elsewhere-1'],
    ['an unknown id', 'nobody'],
  ])('finds no pipeline run in %s, naming the id', async (_what, id) => {
    const err = await pipelineRun(slipway, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunNotFoundError);
    expect(err).toMatchObject({ statusCode: 404, details: { workflowId: id } });
    expect((err as Error).message).toContain(`no pipeline run "${id}"`);
  });

  it('needs a grant at the alias the waiting promote step moves to decide a run', async () => {
    await expect(decisionResource(slipway, 'by-hand-1')).resolves.toEqual({ model: 'churn', alias: 'production' });
    await expect(decisionResource(slipway, 'canary-churn')).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it("leaves a schedule's run to admins and lets an operator cancel a run started by hand", async () => {
    const refused = await cancellableRun(slipway, operator, 'nightly-1').catch((e: unknown) => e);
    expect(isPermissionDeniedError(refused)).toBe(true);
    await expect(cancellableRun(slipway, admin, 'nightly-1')).resolves.toMatchObject({ scheduled: true });
    await expect(cancellableRun(slipway, operator, 'by-hand-1')).resolves.toMatchObject({ scheduled: false });
    await expect(cancellableRun(slipway, admin, 'canary-churn')).rejects.toBeInstanceOf(RunNotFoundError);
  });
});
