/**
 * promote: moves the alias to the registered version when evaluation blessed it. The move
 * is compare-and-set against the champion the evaluation compared with, so a champion
 * that changed in between is never overwritten on stale evidence.
 */
import type { Logger } from 'pino';
import type { ServingAdmin } from '../serving/serving-admin';
import type { ModelRegistry } from '../registry/model-registry';
import { RegistryError } from '../errors';
import { isRegistryError } from '../registry/registry-error';
import type { PromoteParams } from '../pipeline/step-params';
import { upstreamOf } from '../pipeline/step-outputs';
import type { StepOutputBody, StepRequest } from '../pipeline/types';
import { stepKey } from './step-activity';
import type { AccessControl } from '../auth/access-control';
import type { TrustSettings } from '../auth/run-authority';
import { promotionActor } from './promotion-authority';

export interface PromoteDeps {
  registry: ModelRegistry;
  /** Run identity settings; the promotion's actor is checked against them (promotion-authority.ts). */
  trust?: TrustSettings;
  access?: AccessControl;
  /** The model server, told to follow the new champion; undefined: no server configured. */
  serving?: ServingAdmin;
}

export async function promoteVersion(deps: PromoteDeps, req: StepRequest, params: PromoteParams, log?: Logger): Promise<StepOutputBody<'promote'>> {
  const registered = upstreamOf(req.inputs, 'register')?.summary;
  const evaluation = upstreamOf(req.inputs, 'evaluate')?.summary;
  if (!registered || !evaluation) {
    throw new RegistryError('promote needs a register step and an evaluate step upstream (dependsOn)');
  }
  const version = registered.version;
  const comparedWith = evaluation.champion?.version ?? null;
  if (!evaluation.blessed) {
    return { artifacts: {}, summary: { outcome: 'rejected', version, alias: params.alias, championVersion: comparedWith, reasons: evaluation.reasons } };
  }
  // A canary upstream that did not pass blocks promotion.
  const canary = upstreamOf(req.inputs, 'canary')?.summary;
  if (canary && canary.canaryVerdict !== 'passed' && canary.canaryVerdict !== 'skipped') {
    return {
      artifacts: {},
      summary: { outcome: 'rejected', version, alias: params.alias, championVersion: comparedWith, canary: canary.canaryVerdict, reasons: [`canary ${String(canary.canaryVerdict)}`, ...canary.reasons] },
    };
  }
  if (params.mode === 'manual' && !req.approval) {
    // The workflow always decides before a manual promote runs; without a decision nothing moves.
    throw new RegistryError('promote is in manual mode but the run carries no approval decision');
  }
  const approval = req.approval;
  if (approval?.decision === 'rejected') {
    return {
      artifacts: {},
      summary: { outcome: 'rejected', version, alias: params.alias, championVersion: comparedWith, approval: withoutToken(approval), reasons: [`rejected by ${approval.approver}: ${approval.reason}`] },
    };
  }
  const who = await promotionActor(deps, req, params.alias);
  try {
    const move = await deps.registry.setAlias({
      model: req.ctx.model,
      alias: params.alias,
      version,
      expectedVersion: comparedWith,
      actor: who.actor,
      reason: who.reason,
      idempotencyKey: stepKey(req),
      auditAction: 'model.promote',
      origin: `temporal:${req.ctx.workflowId}/${req.ctx.runId}`,
      evidence: {
        workflowId: req.ctx.workflowId,
        runId: req.ctx.runId,
        report: evaluation.report,
        // The paired champion/challenger test the promotion rests on: estimate, interval, p-value.
        ...(evaluation.comparison ? { comparison: evaluation.comparison } : {}),
        // And the same test on the recent labelled served traffic, when the spec asked for it.
        ...(evaluation.recent ? { recent: evaluation.recent } : {}),
        ...(req.authority ? { startedBy: req.authority } : {}),
        ...(approval ? { approval: withoutToken(approval) } : {}),
      },
    });
    const serving = params.alias === 'champion' ? await followChampion(deps, req.ctx.model, version, move.fromVersion, log) : undefined;
    return {
      artifacts: {},
      summary: { outcome: 'promoted', version, alias: params.alias, previousVersion: move.fromVersion, reasons: [], ...(approval ? { approval: withoutToken(approval) } : {}), ...(serving && { serving }) },
    };
  } catch (err) {
    if (!isRegistryError(err, 'stale-alias')) throw err;
    const now = await deps.registry.getAlias(req.ctx.model, params.alias);
    return {
      artifacts: {},
      summary: {
        outcome: 'rejected',
        version,
        alias: params.alias,
        championVersion: now?.version ?? null,
        reasons: [`${params.alias} moved from v${comparedWith ?? 'none'} to v${now?.version ?? 'none'} while this run evaluated; re-run to compare with the new champion`],
      },
    };
  }
}

/** Decision tokens are credentials (short-lived, bound to one run): they stay out of summaries and lineage. */
function withoutToken<T extends { token?: string }>(approval: T): Omit<T, 'token'> {
  const { token: _token, ...rest } = approval;
  return rest;
}

/**
 * Points the model server at the new champion (the previous one stays loaded at weight 0).
 * Best effort: the alias has moved, which is the promotion; a server that cannot be told is
 * reported in the summary and catches up on the next deployment change or rollback.
 */
async function followChampion(deps: PromoteDeps, model: string, version: number, previous: number | null, log?: Logger): Promise<Record<string, unknown> | undefined> {
  if (!deps.serving) return undefined;
  const versions = [{ version, weight: 100 }, ...(previous !== null && previous !== version ? [{ version: previous, weight: 0 }] : [])];
  try {
    const applied = await deps.serving.setDeployment(model, versions, `promoted version ${version} of ${model}`);
    return { revision: applied.revision, changed: applied.changed, versions };
  } catch (err) {
    log?.warn({ err: (err as Error).message, model, version }, 'model server not updated after promotion');
    return { error: (err as Error).message, versions };
  }
}
