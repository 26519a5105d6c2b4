/**
 * Activities of the canary workflow: set the traffic split on the model server, read one
 * step's figures for the analysis, and write the canary report. Also `deployChampion`,
 * which makes the server follow a champion move (promotion, rollback).
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { StepMeasurement } from '../canary/analysis';
import { parseCanaryInput, type ParsedCanaryInput } from '../canary/canary-input';
import type { CanaryReport } from '../canary/canary-state';
import type { AppliedDeployment, DeploymentWeights, ServingAdmin } from '../serving/serving-admin';
import { DeploymentRefusedError, ServingNotConfiguredError } from '../errors';
import type { ArtifactRef } from '../pipeline/types';
import { atActivityBoundary } from './activity-boundary';

export interface CanaryActivityDeps {
  logger: Logger;
  store: ArtifactStore;
  /** The model server's admin API; undefined when the worker has no SLIPWAY_SERVE_URL. */
  serving?: ServingAdmin;
}

export interface TrafficRequest {
  model: string;
  champion: number;
  candidate: number;
  /** Canary share in percent; 0 rolls the canary back (it stays loaded, without traffic). */
  weight: number;
  /** Shadow mode (weight 0 only): the candidate scores a mirror of the champion's traffic. @default false */
  shadow?: boolean;
}

export interface MeasureRequest {
  model: string;
  champion: number;
  candidate: number;
  /** Epoch ms the step's traffic was set; the step's figures start at the next whole second. */
  stepStartedAtMs: number;
  /** Epoch ms the canary began; live quality uses every label since. */
  canaryStartedAtMs: number;
}

export interface DeployChampionRequest {
  model: string;
  version: number;
  /** Kept loaded with weight 0, so moving back is instant. */
  previous?: number | null;
}

export function createCanaryActivities(deps: CanaryActivityDeps) {
  const serving = (): ServingAdmin => {
    if (!deps.serving) throw new ServingNotConfiguredError('no model server configured: set SLIPWAY_SERVE_URL (and SLIPWAY_SERVE_ADMIN_TOKEN) on the worker');
    return deps.serving;
  };
  const guarded = <A, R>(name: string, fn: (arg: A, log: Logger) => Promise<R>) => atActivityBoundary(name, deps.logger, fn);

  return {
    /** Local activity of the canary workflow: its input with defaults, or a failure naming each bad field. */
    parseCanaryInput: guarded('parseCanaryInput', async (raw: unknown): Promise<ParsedCanaryInput> => parseCanaryInput(raw)),

    canarySetTraffic: guarded('canarySetTraffic', async (req: TrafficRequest, log): Promise<AppliedDeployment> => {
      const versions: DeploymentWeights[] = [
        { version: req.champion, weight: 100 - req.weight },
        { version: req.candidate, weight: req.weight },
      ];
      // Every other call clears the shadow: a traffic step or a rollback ends shadow mode.
      const shadow = req.shadow === true && req.weight === 0;
      try {
        const reason = shadow ? `canary of version ${req.candidate} in shadow mode (${workflowOf()})` : `canary of version ${req.candidate} at ${req.weight}% (${workflowOf()})`;
        const applied = await serving().setDeployment(req.model, versions, reason, shadow ? req.candidate : undefined);
        log.info({ model: req.model, versions, changed: applied.changed, revision: applied.revision }, 'canary traffic set');
        return applied;
      } catch (err) {
        // A rollback must land even when the candidate cannot be loaded (e.g. its artifact failed
        // the sha256 check): then the champion alone is deployed.
        if (req.weight !== 0 || shadow || !(err instanceof DeploymentRefusedError)) throw err;
        log.warn({ err: err.message }, 'candidate refused by the model server; rolling back to the champion alone');
        return serving().setDeployment(req.model, [{ version: req.champion, weight: 100 }], `canary rolled back to the champion alone, candidate refused by the server (${workflowOf()})`);
      }
    }),

    canaryMeasure: guarded('canaryMeasure', async (req: MeasureRequest): Promise<StepMeasurement> => {
      const admin = serving();
      const versions = [req.champion, req.candidate];
      const stepFrom = Math.ceil(req.stepStartedAtMs / 1000) * 1000;
      const [step, cumulative] = await Promise.all([
        admin.stats(req.model, versions, stepFrom),
        admin.stats(req.model, versions, Math.ceil(req.canaryStartedAtMs / 1000) * 1000),
      ]);
      const pick = (w: typeof step) => ({ champion: w.versions.get(req.champion)!, canary: w.versions.get(req.candidate)! });
      return { from: step.from, to: step.to, serverStartedAt: step.serverStartedAt, step: pick(step), cumulative: pick(cumulative) };
    }),

    canaryWriteReport: guarded('canaryWriteReport', async (report: CanaryReport): Promise<ArtifactRef> => {
      return deps.store.putJson(report, { name: 'canaryReport', meta: { model: report.model, candidate: report.candidate, verdict: report.verdict } });
    }),

    deployChampion: guarded('deployChampion', async (req: DeployChampionRequest, log): Promise<AppliedDeployment | { skipped: string }> => {
      if (!deps.serving) return { skipped: 'no model server configured (SLIPWAY_SERVE_URL)' };
      const versions: DeploymentWeights[] = [{ version: req.version, weight: 100 }];
      if (req.previous != null && req.previous !== req.version) versions.push({ version: req.previous, weight: 0 });
      const applied = await deps.serving.setDeployment(req.model, versions, `follow champion version ${req.version} (${workflowOf()})`);
      log.info({ model: req.model, versions, changed: applied.changed }, 'model server follows the champion');
      return applied;
    }),
  };
}

/** `workflow <id>` of the running activity, for the audit reason of a deployment change. */
function workflowOf(): string {
  try {
    return `workflow ${Context.current().info.workflowExecution?.workflowId ?? '?'}`;
  } catch {
    return 'outside a workflow';
  }
}
