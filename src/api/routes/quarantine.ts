/**
 * Quarantined data batches: list them (viewers), release or discard one (approvers with a
 * grant on the model's champion alias, or admins). The decision and its audit entry are one
 * transaction in the quarantine store; the request's principal and origin are recorded.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BatchQuarantine } from '../../registry/quarantine';
import type { SweepResult } from '../../registry/quarantine-purge';
import { requestOrigin } from '../request-audit';

export interface QuarantineRoutesDeps {
  /** Discards through it purge the batch's bytes when it is wrapped by `purgingOnDiscard`. */
  quarantine: BatchQuarantine;
  /** Runs one quarantine sweep; without it POST /v1/quarantine/sweep is not served. */
  sweep?: () => Promise<SweepResult>;
}

const modelParams = z.object({ model: z.string().min(1).max(200) });
const batchParams = modelParams.extend({ digest: z.string().min(1).max(200) });
const decisionBody = z.object({ reason: z.string().trim().min(1, 'give why').max(2000) }).strict();

export const quarantineRoutes =
  ({ quarantine, sweep }: QuarantineRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/models/:model/quarantine',
      {
        config: { action: 'model.read' },
        schema: {
          summary: 'Data batches of a model that validation stopped, with their state and findings',
          params: modelParams,
          querystring: z.object({ state: z.enum(['quarantined', 'released', 'discarded']).optional() }),
        },
      },
      async (request) => ({ batches: await quarantine.list({ model: request.params.model, state: request.query.state }) }),
    );
    for (const decision of ['release', 'discard'] as const) {
      app.post(
        `/v1/models/:model/quarantine/:digest/${decision}`,
        {
          config: { action: 'data.release', resource: (request) => ({ model: (request.params as { model: string }).model, alias: 'champion' }) },
          schema: {
            summary:
              decision === 'release'
                ? 'Release a quarantined batch: a re-run trains on it, and the release is recorded in the lineage of the model'
                : 'Discard a quarantined batch: runs on it keep failing, and its snapshots are deleted unless something else refers to them',
            params: batchParams,
            body: decisionBody,
          },
        },
        async (request) =>
          quarantine.decide({
            model: request.params.model,
            dataDigest: request.params.digest,
            decision,
            actor: request.principal!.name,
            reason: request.body.reason,
            origin: requestOrigin(request),
          }),
      );
    }
    if (sweep) {
      app.post(
        '/v1/quarantine/sweep',
        {
          config: { action: 'data.sweep' },
          schema: { summary: 'Run the quarantine sweep now: discard batches undecided beyond the retention, delete discarded batches\' unreferenced bytes (admin)' },
        },
        async () => sweep(),
      );
    }
  };
