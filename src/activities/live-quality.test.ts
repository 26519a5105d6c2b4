/** The live-quality trigger's judgement and the policy schema, over a stand-in model server. */
import { describe, expect, it } from 'vitest';
import type { VersionWindow } from '../canary/analysis';
import type { ServingAdmin } from '../serving/serving-admin';
import { ServingUnavailableError } from '../errors';
import type { LiveQualityPolicy } from '../workflows/continuous-training-status';
import { checkLiveQuality } from './live-quality';
import { parseRetrainPolicy } from './retrain-policy';

/** A server whose stats for every version are `figures`; records the `since` it was asked for. */
function serverWith(figures: { labels: number; auc: number | null; accuracy: number | null } & Partial<VersionWindow> | Error) {
  const asked: number[] = [];
  const serving = {
    baseUrl: 'http://stand-in',
    setDeployment: async () => {
      throw new Error('not used');
    },
    getDeployment: async () => undefined,
    stats: async (_model: string, versions: number[], sinceMs: number) => {
      asked.push(sinceMs);
      if (figures instanceof Error) throw figures;
      const windows = new Map(versions.map((version) => [version, { version, requests: figures.labels, ...figures } as unknown as VersionWindow]));
      return { from: '', to: '', serverStartedAt: '', versions: windows };
    },
  } satisfies ServingAdmin;
  return { serving, asked };
}

const champion = { model: 'm', version: 4, offlineAuc: 0.68 };
const policy = (p: Partial<LiveQualityPolicy>): LiveQualityPolicy => ({ minLabels: 100, windowSeconds: 600, ...p });

describe('live-quality trigger', () => {
  it.each([
    ['AUC below minAuc', { labels: 500, auc: 0.52, accuracy: 0.8 }, { minAuc: 0.6 }, 'below', /over 500 labels in the last 600 s: AUC 0\.520 below minAuc 0\.6$/],
    ['AUC meets minAuc', { labels: 500, auc: 0.66, accuracy: 0.8 }, { minAuc: 0.6 }, 'ok', /within limits: AUC 0\.660 meets minAuc 0\.6$/],
    ['AUC dropped too far below the offline AUC', { labels: 500, auc: 0.6, accuracy: 0.8 }, { maxAucDrop: 0.05 }, 'below', /AUC 0\.600 is 0\.080 below the offline AUC 0\.680 \(maxAucDrop 0\.05\)$/],
    ['AUC within maxAucDrop', { labels: 500, auc: 0.65, accuracy: 0.8 }, { maxAucDrop: 0.05 }, 'ok', /AUC 0\.650 is 0\.030 below the offline AUC/],
    ['AUC above the offline AUC', { labels: 500, auc: 0.7, accuracy: 0.8 }, { maxAucDrop: 0.05 }, 'ok', /AUC 0\.700 is 0\.020 above the offline AUC 0\.680/],
    ['accuracy below minAccuracy', { labels: 500, auc: 0.7, accuracy: 0.7 }, { minAuc: 0.6, minAccuracy: 0.75 }, 'below', /: accuracy 0\.700 below minAccuracy 0\.75$/],
    ['too few labels, however bad', { labels: 99, auc: 0.1, accuracy: 0.1 }, { minAuc: 0.6 }, 'too-few-labels', /only 99 labels in the last 600 s \(need 100\); not judged$/],
    ['labels of one class', { labels: 500, auc: null, accuracy: 0.9 }, { minAuc: 0.6 }, 'ok', /AUC undefined \(labels of one class\), minAuc 0\.6 not judged/],
  ] as const)('%s', async (_name, figures, thresholds, verdict, line) => {
    const { serving, asked } = serverWith(figures);
    const check = await checkLiveQuality({ serving, nowMs: () => 1_000_000 }, champion, policy(thresholds));
    expect(check).toMatchObject({ verdict, fired: verdict === 'below', labels: figures.labels, auc: figures.auc, version: 4, windowSeconds: 600 });
    expect(check.line).toMatch(line);
    expect(asked).toEqual([1_000_000 - 600_000]);
  });

  it('is not judged, and never a retrain, without a model server or when it does not answer', async () => {
    const none = await checkLiveQuality({}, champion, policy({ minAuc: 0.6 }));
    expect(none).toMatchObject({ verdict: 'unavailable', fired: false });
    expect(none.line).toMatch(/no model server \(set SLIPWAY_SERVE_URL\)/);
    const down = await checkLiveQuality({ serving: serverWith(new ServingUnavailableError('model server at http://x did not answer')).serving }, champion, policy({ minAuc: 0.6 }));
    expect(down).toMatchObject({ verdict: 'unavailable', fired: false });
    expect(down.line).toMatch(/not checked, model server at http:\/\/x did not answer/);
  });
});

describe('live-quality trigger per task', () => {
  const multiclass = { labels: 400, auc: null, accuracy: 0.71, task: 'multiclass' as const, logLoss: 0.92 };
  const regression = { labels: 400, auc: null, accuracy: null, task: 'regression' as const, rmse: 3.4, mae: 2.6 };

  it.each([
    ['multiclass log loss above maxLogLoss', multiclass, { maxLogLoss: 0.8 }, 'below', /log loss 0\.920 above maxLogLoss 0\.8$/],
    ['multiclass accuracy and log loss within limits', multiclass, { minAccuracy: 0.7, maxLogLoss: 1 }, 'ok', /accuracy 0\.710 meets minAccuracy 0\.7; log loss 0\.920 within maxLogLoss 1$/],
    ['regression RMSE above maxRmse', regression, { maxRmse: 3 }, 'below', /RMSE 3\.400 above maxRmse 3$/],
    ['regression MAE within maxMae', regression, { maxMae: 3 }, 'ok', /MAE 2\.600 within maxMae 3$/],
  ] as const)('%s', async (_name, figures, thresholds, verdict, line) => {
    const { serving } = serverWith(figures);
    const check = await checkLiveQuality({ serving, nowMs: () => 1_000_000 }, champion, policy(thresholds));
    expect(check).toMatchObject({ verdict, fired: verdict === 'below', task: figures.task, labels: 400 });
    expect(check.line).toMatch(line);
  });

  it('refuses a threshold the champion’s task cannot be judged by, naming the field and what applies, before reading the server', async () => {
    const { serving, asked } = serverWith(regression);
    const refused = checkLiveQuality({ serving }, { ...champion, task: 'regression' }, policy({ minAuc: 0.6, maxRmse: 3 }));
    await expect(refused).rejects.toMatchObject({ code: 'InvalidRetrainPolicy', retryable: false });
    await expect(refused).rejects.toThrow(/policy\.onLiveQuality\.minAuc: does not apply to champion v4, a regression model; its live quality is judged by maxRmse, maxMae/);
    expect(asked).toEqual([]);
    // Without a task in the registry, the server's figures tell.
    await expect(checkLiveQuality({ serving: serverWith(multiclass).serving }, champion, policy({ maxMae: 1 }))).rejects.toThrow(
      /policy\.onLiveQuality\.maxMae: does not apply to champion v4, a multiclass model; its live quality is judged by minAccuracy, maxLogLoss/,
    );
  });
});

describe('retrain policy', () => {
  it('accepts a full policy', () => {
    const p = { maxModelAge: '7 days', minNewRows: 0, onDrift: true, incremental: true, onLiveQuality: { minAuc: 0.6, maxAucDrop: 0.05, minAccuracy: 0.7, minLabels: 200, windowSeconds: 3600 } };
    expect(parseRetrainPolicy(p)).toEqual(p);
    expect(parseRetrainPolicy(undefined)).toEqual({});
  });

  it.each([
    [{ maxModelAge: 'a week' }, /policy\.maxModelAge: "a week" is not a duration/],
    // Once parsed as six minutes, so the model retrained at every check.
    [{ maxModelAge: '6 months' }, /policy\.maxModelAge: "6 months" is not a duration: "months" varies in length .* "2 weeks"/],
    [{ minNewRows: 1.5 }, /policy\.minNewRows: /],
    [{ incremental: 'yes' }, /policy\.incremental: /],
    [{ onLiveQuality: { minLabels: 10, windowSeconds: 60 } }, /policy\.onLiveQuality: give at least one threshold: minAuc, maxAucDrop or minAccuracy \(binary\), minAccuracy or maxLogLoss \(multiclass\), maxRmse or maxMae \(regression\)/],
    [{ onLiveQuality: { minAuc: 2, minLabels: 10, windowSeconds: 60 } }, /policy\.onLiveQuality\.minAuc: /],
    [{ onLiveQuality: { minAuc: 0.6, minLabels: 10 } }, /policy\.onLiveQuality\.windowSeconds: /],
    [{ onLiveQuality: { minAuc: 0.6, minLabels: 0, windowSeconds: 60 } }, /policy\.onLiveQuality\.minLabels: /],
    [{ onLiveQuality: { minAuc: 0.6, minLabels: 10, windowSeconds: 60, window: 5 } }, /policy\.onLiveQuality: .*"window"/],
    [{ onDrfit: true }, /policy: .*"onDrfit"/],
    [{ onLiveQuality: { maxRmse: -1, minLabels: 10, windowSeconds: 60 } }, /policy\.onLiveQuality\.maxRmse: /],
    [{ onLiveQuality: { maxLogLoss: 'high', minLabels: 10, windowSeconds: 60 } }, /policy\.onLiveQuality\.maxLogLoss: expected a positive number/],
  ])('rejects %j naming the field', (policy, message) => {
    let thrown: unknown;
    try {
      parseRetrainPolicy(policy);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'InvalidRetrainPolicy', retryable: false });
    expect((thrown as Error).message).toMatch(message);
  });
});
