/**
 * The live-quality trigger of continuous training: reads the champion's live quality on
 * labelled live traffic from the model server's feedback stats (binary: AUC and accuracy;
 * multiclass: accuracy and log loss; regression: RMSE and MAE) and judges it against the
 * policy, whose thresholds must fit the champion's task (retrain-policy.ts). Too few labels is never a reason to retrain; neither is a server that cannot be
 * reached (the check is recorded as not judged, and the next check tries again).
 */
import type { ServingAdmin } from '../serving/serving-admin';
import { checkPolicyTask } from './retrain-policy';
import type { LiveQualityCheck, LiveQualityPolicy } from '../workflows/continuous-training-status';

export interface LiveQualityDeps {
  serving?: ServingAdmin;
  /** Wall clock of the model server's stats window (not a simulation's virtual clock). */
  nowMs?: () => number;
}

export interface ChampionRef {
  model: string;
  version: number;
  /** The champion's offline AUC from its evaluation, for `maxAucDrop`. */
  offlineAuc?: number;
  /** The champion's task as the registry records it; else the server's stats tell (binary when they carry no task figures). */
  task?: 'binary' | 'multiclass' | 'regression';
}

const f3 = (x: number) => x.toFixed(3);

/**
 * Checks one champion's live quality; `fired` says whether it calls for a retrain.
 * @throws InvalidRetrainPolicyError when a threshold does not apply to the champion's task
 */
export async function checkLiveQuality(deps: LiveQualityDeps, champion: ChampionRef, policy: LiveQualityPolicy): Promise<LiveQualityCheck> {
  const base = { version: champion.version, windowSeconds: policy.windowSeconds, minLabels: policy.minLabels };
  const who = `champion v${champion.version}`;
  // A task the registry records is checked before anything is read, so a wrong policy fails every check alike.
  if (champion.task) checkPolicyTask(policy, champion.task, who);
  if (!deps.serving) {
    return { ...base, verdict: 'unavailable', fired: false, labels: 0, auc: null, accuracy: null, line: `live quality of ${who}: not checked, the worker has no model server (set SLIPWAY_SERVE_URL)` };
  }
  const sinceMs = (deps.nowMs ?? Date.now)() - policy.windowSeconds * 1000;
  let window;
  try {
    window = (await deps.serving.stats(champion.model, [champion.version], sinceMs)).versions.get(champion.version);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ...base, verdict: 'unavailable', fired: false, labels: 0, auc: null, accuracy: null, line: `live quality of ${who}: not checked, ${why}` };
  }
  const task = champion.task ?? window?.task ?? 'binary';
  if (!champion.task) checkPolicyTask(policy, task, who);
  const labels = window?.labels ?? 0;
  const auc = window?.auc ?? null;
  const accuracy = window?.accuracy ?? null;
  const figures = {
    ...base,
    labels,
    auc,
    accuracy,
    ...(task === 'multiclass' ? { task, logLoss: window?.logLoss ?? null } : {}),
    ...(task === 'regression' ? { task, rmse: window?.rmse ?? null, mae: window?.mae ?? null } : {}),
  };
  const over = `over ${labels} labels in the last ${policy.windowSeconds} s`;
  if (labels < policy.minLabels) {
    return { ...figures, verdict: 'too-few-labels', fired: false, line: `live quality of ${who}: only ${labels} labels in the last ${policy.windowSeconds} s (need ${policy.minLabels}); not judged` };
  }

  const failed: string[] = [];
  const passed: string[] = [];
  if (policy.minAuc !== undefined) {
    if (auc === null) passed.push(`AUC undefined (labels of one class), minAuc ${policy.minAuc} not judged`);
    else (auc < policy.minAuc ? failed : passed).push(`AUC ${f3(auc)} ${auc < policy.minAuc ? 'below' : 'meets'} minAuc ${policy.minAuc}`);
  }
  if (policy.maxAucDrop !== undefined) {
    if (auc === null || champion.offlineAuc === undefined) {
      passed.push(`maxAucDrop not judged (${auc === null ? 'live AUC undefined' : 'the champion records no offline AUC'})`);
    } else {
      const drop = champion.offlineAuc - auc;
      const gap = drop >= 0 ? `${f3(drop)} below` : `${f3(-drop)} above`;
      const line = `AUC ${f3(auc)} is ${gap} the offline AUC ${f3(champion.offlineAuc)} (maxAucDrop ${policy.maxAucDrop})`;
      (drop > policy.maxAucDrop ? failed : passed).push(line);
    }
  }
  if (policy.minAccuracy !== undefined) {
    if (accuracy === null) passed.push(`accuracy undefined, minAccuracy ${policy.minAccuracy} not judged`);
    else (accuracy < policy.minAccuracy ? failed : passed).push(`accuracy ${f3(accuracy)} ${accuracy < policy.minAccuracy ? 'below' : 'meets'} minAccuracy ${policy.minAccuracy}`);
  }
  const upper = (name: 'maxLogLoss' | 'maxRmse' | 'maxMae', label: string, value: number | null | undefined) => {
    const limit = policy[name];
    if (limit === undefined) return;
    if (value === null || value === undefined) passed.push(`${label} undefined, ${name} ${limit} not judged`);
    else (value > limit ? failed : passed).push(`${label} ${f3(value)} ${value > limit ? 'above' : 'within'} ${name} ${limit}`);
  };
  upper('maxLogLoss', 'log loss', figures.logLoss);
  upper('maxRmse', 'RMSE', figures.rmse);
  upper('maxMae', 'MAE', figures.mae);
  return failed.length > 0
    ? { ...figures, verdict: 'below', fired: true, line: `live quality of ${who} ${over}: ${failed.join('; ')}` }
    : { ...figures, verdict: 'ok', fired: false, line: `live quality of ${who} ${over} within limits: ${passed.join('; ')}` };
}
