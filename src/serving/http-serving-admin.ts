/**
 * {@link ServingAdmin} over the model server's admin HTTP API (src/serving/routes/admin.ts).
 * Network failures and 5xx answers throw {@link ServingUnavailableError} (retryable: the
 * server may be restarting); a refused deployment (422) or a bad request throws
 * {@link DeploymentRefusedError}, which no retry can fix.
 */
import { DeploymentRefusedError, ServingUnavailableError } from '../errors';
import type { VersionWindow } from '../canary/analysis';
import type { AppliedDeployment, DeploymentWeights, ServingAdmin, VersionStatsWindow } from './serving-admin';

interface StatsAnswer {
  from: string;
  to: string;
  serverStartedAt: string;
  versions: {
    version: number;
    requests: number;
    errors: number;
    errorRate: number | null;
    latencyMs: { p50: number | null; p90: number | null; p99: number | null };
    scores: { counts: number[] };
    classScores?: { counts: number[][] };
    values?: { counts: number[] };
    feedback: { labels: number; positives: number; auc: number | null; accuracy: number | null; logLoss?: number | null; logLossSd?: number | null; rmse?: number | null; mae?: number | null };
    paired?: NonNullable<VersionWindow['paired']>[];
  }[];
}

export class HttpServingAdmin implements ServingAdmin {
  readonly baseUrl: string;

  constructor(baseUrl: string, private readonly token: string | undefined, private readonly timeoutMs = 30_000) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  async setDeployment(model: string, versions: DeploymentWeights[], reason?: string, shadow?: number): Promise<AppliedDeployment> {
    const body = (await this.call('PUT', `/admin/v1/models/${encodeURIComponent(model)}/deployment`, {
      versions,
      ...(shadow !== undefined && { shadow }),
      ...(reason ? { reason: reason.slice(0, 1000) } : {}),
    })) as {
      changed: boolean;
      serverStartedAt: string;
      deployment: { revision: number; versions: DeploymentWeights[] };
    };
    return {
      changed: body.changed,
      revision: body.deployment.revision,
      versions: body.deployment.versions.map((v) => ({ version: v.version, weight: v.weight })),
      serverStartedAt: body.serverStartedAt,
    };
  }

  async getDeployment(model: string): Promise<{ revision: number; versions: DeploymentWeights[] } | undefined> {
    const body = (await this.call('GET', `/admin/v1/models/${encodeURIComponent(model)}/deployment`, undefined, true)) as
      | { revision: number; versions: DeploymentWeights[] }
      | undefined;
    return body && { revision: body.revision, versions: body.versions.map((v) => ({ version: v.version, weight: v.weight })) };
  }

  async stats(model: string, versions: number[], sinceMs: number): Promise<VersionStatsWindow> {
    const body = (await this.call('GET', `/admin/v1/models/${encodeURIComponent(model)}/stats?since=${Math.floor(sinceMs)}`, undefined, true)) as StatsAnswer | undefined;
    const windows = new Map<number, VersionWindow>();
    for (const version of versions) {
      const v = body?.versions.find((x) => x.version === version);
      windows.set(version, {
        version,
        requests: v?.requests ?? 0,
        errors: v?.errors ?? 0,
        errorRate: v?.errorRate ?? null,
        p99Ms: v?.latencyMs.p99 ?? null,
        p90Ms: v?.latencyMs.p90 ?? null,
        p50Ms: v?.latencyMs.p50 ?? null,
        scoreCounts: v?.scores.counts ?? [],
        labels: v?.feedback.labels ?? 0,
        positives: v?.feedback.positives ?? 0,
        auc: v?.feedback.auc ?? null,
        accuracy: v?.feedback.accuracy ?? null,
        // Binary log loss (calibration-check.ts) when the server reports it; absent from an older server's stats.
        ...(v && v.feedback.logLoss !== undefined && { logLoss: v.feedback.logLoss, logLossSd: v.feedback.logLossSd ?? null }),
        // A shadow's figures paired with the other version measured (the champion), when the server paired any.
        ...(v?.paired?.some((p) => p.against !== version && versions.includes(p.against)) && { paired: v.paired.find((p) => p.against !== version && versions.includes(p.against)) }),
        // Per-task figures only when the server has them, so a binary model's window is as before.
        ...(v ? taskFigures(v) : {}),
      });
    }
    if (!body) {
      // Not deployed and no stats: a server that knows nothing of the model. Its start time is still needed.
      const health = (await this.call('GET', `/admin/v1/deployments`)) as { serverStartedAt?: string };
      return { from: new Date(sinceMs).toISOString(), to: new Date().toISOString(), serverStartedAt: health.serverStartedAt ?? 'unknown', versions: windows };
    }
    return { from: body.from, to: body.to, serverStartedAt: body.serverStartedAt, versions: windows };
  }

  /** One admin call; with `allowNotFound` a 404 answers undefined. */
  private async call(method: string, path: string, body?: unknown, allowNotFound = false): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ServingUnavailableError(`model server at ${this.baseUrl} did not answer ${method} ${path}: ${cause}`);
    }
    const text = await res.text();
    let parsed: { message?: string } | undefined;
    try {
      parsed = text ? (JSON.parse(text) as { message?: string }) : undefined;
    } catch {
      // not JSON (a proxy's error page): the text is the message
    }
    if (res.status === 404 && allowNotFound) return undefined;
    const why = parsed?.message ?? text;
    if (res.status >= 500) throw new ServingUnavailableError(`model server at ${this.baseUrl} answered ${res.status} to ${method} ${path}: ${why}`);
    if (res.status >= 400) throw new DeploymentRefusedError(`model server at ${this.baseUrl} refused ${method} ${path} (${res.status}): ${why}`);
    return parsed;
  }
}

/** The multiclass and regression figures of one version's stats, present only for those tasks. */
function taskFigures(v: StatsAnswer['versions'][number]): Partial<VersionWindow> {
  const f = v.feedback;
  return {
    ...(v.classScores ? { task: 'multiclass' as const, classScoreCounts: v.classScores.counts, logLoss: f.logLoss ?? null, logLossSd: f.logLossSd ?? null } : {}),
    ...(v.values ? { task: 'regression' as const, valueCounts: v.values.counts, rmse: f.rmse ?? null, mae: f.mae ?? null } : {}),
  };
}
