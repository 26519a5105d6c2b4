/**
 * The model server's live deployments: per model, the loaded versions and the router that
 * splits traffic between them.
 *
 * A change loads every new version first, persists the new state, and only then swaps the
 * routing table in one assignment; versions that left are retired, i.e. released after
 * their in-flight requests finish. Any load failure refuses the whole change and leaves
 * the running deployment untouched. Changes are serialised, so concurrent admin calls
 * cannot interleave their load/persist/swap steps.
 */
import type { Logger } from 'pino';
import type { DeploymentRecord, DeploymentStore } from './deployment-store';
import type { LoadedModel } from './loaded-model';
import type { ModelLoader } from './model-loader';
import { describeTask, sameTask } from './model-task';
import { createRouter, newRoutingSalt, type Router, type WeightedVersion } from './routing';

/** Why a version could not be loaded (sha256 mismatch, unknown version, bad ONNX). */
export interface LoadFailure {
  model: string;
  version: number;
  /** Error name, e.g. `ArtifactIntegrityError`, `RegistryError`, `EvaluationFailed`. */
  error: string;
  message: string;
  /** ISO 8601 time of the attempt. */
  at: string;
}

/** One version of a deployment with its load state. */
export interface DeployedVersion extends WeightedVersion {
  /** Fraction of traffic it actually receives (0 when failed or weight 0). */
  share: number;
  state: 'serving' | 'failed';
  /** sha256 of the loaded ONNX bytes. */
  sha256?: string;
  /** ISO 8601 time the session was created. */
  loadedAt?: string;
  /** Requests it is answering right now. */
  inFlight?: number;
  failure?: LoadFailure;
}

/** A deployment as the admin API returns it (never its routing salt). */
export interface DeploymentView extends Omit<DeploymentRecord, 'versions' | 'routingSalt'> {
  versions: DeployedVersion[];
  /** False when no version with a positive weight could be loaded: predictions answer 503. */
  serving: boolean;
}

export type ApplyResult =
  | { ok: true; changed: boolean; deployment: DeploymentView }
  | { ok: false; failures: LoadFailure[] }
  | { ok: false; conflict: { expectedRevision: number | null; revision: number | null } };

/** What {@link DeploymentManager.acquire} returns when no model can answer. */
export type Unroutable = 'not-deployed' | 'unavailable';

/** What {@link DeploymentManager.acquireVersion} returns when the named version cannot answer. */
export type Unpinnable = Unroutable | 'version-not-deployed';

export interface DeploymentManagerDeps {
  loader: ModelLoader;
  store: DeploymentStore;
  logger: Logger;
  /** Told about every load failure (metrics). */
  onLoadFailure?: (failure: LoadFailure) => void;
  /** Told after every change of a model's deployment, and after removal (view undefined). */
  onChange?: (model: string, view: DeploymentView | undefined) => void;
  now?: () => Date;
}

interface Active {
  record: DeploymentRecord;
  models: Map<number, LoadedModel>;
  failures: Map<number, LoadFailure>;
  /** Undefined when no loaded version has a positive weight. */
  router: Router | undefined;
  /** The loaded shadow version, when the record names one that loaded. */
  shadow: LoadedModel | undefined;
  /** Loaded versions with traffic, champion first: what {@link DeploymentManager.reachable} answers (a deployment is immutable once installed). */
  reachable: readonly LoadedModel[];
}

export class DeploymentManager {
  private readonly active = new Map<string, Active>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly deps: DeploymentManagerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * One deployment serves one task (and one class list): a split between a classifier and a
   * regressor would answer one caller in two shapes, and their stats could not be compared.
   */
  private mixedTasks(model: string, versions: WeightedVersion[], fresh: Map<number, LoadedModel>, kept?: Map<number, LoadedModel>): LoadFailure[] {
    const loaded = versions.map((v) => fresh.get(v.version) ?? kept?.get(v.version)).filter((m): m is LoadedModel => m !== undefined);
    const [first] = loaded;
    return loaded
      .filter((m) => !sameTask(m.task, first.task))
      .map((m) => ({
        model,
        version: m.version,
        error: 'EvaluationFailed',
        message: `version ${m.version} of "${model}" is a ${describeTask(m.task)} model but version ${first.version} is ${describeTask(first.task)}; one deployment serves one task`,
        at: this.now().toISOString(),
      }));
  }

  /** Loads the persisted deployments. Versions that fail to load are reported, and traffic goes to the others. */
  restore(): Promise<void> {
    return this.serialised(async () => {
      for (const stored of await this.deps.store.load()) {
        // A state file from before salted routing gets a salt now (callers move once) and keeps it at the next save.
        const record = stored.routingSalt ? stored : { ...stored, routingSalt: newRoutingSalt() };
        const models = new Map<number, LoadedModel>();
        const failures = new Map<number, LoadFailure>();
        for (const v of record.versions) {
          const loaded = await this.tryLoad(record.model, v.version);
          if ('error' in loaded) failures.set(v.version, loaded);
          else models.set(v.version, loaded);
        }
        this.install(record, models, failures);
        this.deps.logger.info({ model: record.model, revision: record.revision, versions: record.versions, failed: [...failures.keys()] }, 'deployment restored');
      }
    });
  }

  /**
   * Makes `versions` the deployment of `model`. Idempotent: the same versions and weights
   * again change nothing (but retry versions that failed to load at restore).
   * @param expectedRevision when given, a change is made only if the deployment is at this
   * revision (null: not deployed), so a retried caller cannot undo a newer change.
   * @param shadow a version of `versions` with weight 0 that scores mirrored traffic; absent: none
   * (so a PUT without it clears the shadow). The caller checks it is listed with weight 0.
   */
  apply(model: string, versions: WeightedVersion[], expectedRevision?: number | null, shadow?: number): Promise<ApplyResult> {
    return this.serialised(async () => {
      const current = this.active.get(model);
      const same = current !== undefined && sameVersions(current.record.versions, versions) && current.record.shadow === shadow;
      if (same && current.failures.size === 0) return { ok: true, changed: false, deployment: this.view(model)! };
      const revision = current?.record.revision ?? null;
      if (!same && expectedRevision !== undefined && expectedRevision !== revision) return { ok: false, conflict: { expectedRevision, revision } };

      const fresh = new Map<number, LoadedModel>();
      const failures: LoadFailure[] = [];
      await Promise.all(
        versions
          .filter((v) => !current?.models.has(v.version))
          .map(async (v) => {
            const loaded = await this.tryLoad(model, v.version);
            if ('error' in loaded) failures.push(loaded);
            else fresh.set(v.version, loaded);
          }),
      );
      if (failures.length === 0) failures.push(...this.mixedTasks(model, versions, fresh, current?.models));
      if (failures.length > 0) {
        fresh.forEach((m) => m.retire());
        return { ok: false, failures: failures.sort((a, b) => a.version - b.version) };
      }

      const record: DeploymentRecord = same
        ? current.record
        : {
            model,
            versions: versions.map(({ version, weight }) => ({ version, weight })),
            revision: (current?.record.revision ?? 0) + 1,
            updatedAt: this.now().toISOString(),
            routingSalt: current?.record.routingSalt ?? newRoutingSalt(),
            ...(shadow !== undefined && { shadow }),
          };
      if (!same) {
        try {
          await this.deps.store.save([...this.records().filter((r) => r.model !== model), record]);
        } catch (err) {
          fresh.forEach((m) => m.retire());
          throw err;
        }
      }
      const models = new Map<number, LoadedModel>();
      for (const v of versions) models.set(v.version, current?.models.get(v.version) ?? fresh.get(v.version)!);
      this.install(record, models, new Map());
      current?.models.forEach((m, version) => {
        if (!models.has(version)) m.retire();
      });
      this.deps.logger.info({ model, revision: record.revision, versions: record.versions }, 'deployment applied');
      return { ok: true, changed: true, deployment: this.view(model)! };
    });
  }

  /** Stops serving `model`; in-flight requests finish. False when it was not deployed. */
  remove(model: string): Promise<boolean> {
    return this.serialised(async () => {
      const current = this.active.get(model);
      if (!current) return false;
      await this.deps.store.save(this.records().filter((r) => r.model !== model));
      this.active.delete(model);
      current.models.forEach((m) => m.retire());
      this.deps.onChange?.(model, undefined);
      this.deps.logger.info({ model }, 'deployment removed');
      return true;
    });
  }

  /**
   * Routes a request and takes a lease on the chosen version, synchronously, so no switch
   * can release it before the caller is done. The caller must call `releaseLease()`.
   */
  acquire(model: string, routingKey?: string): LoadedModel | Unroutable {
    const a = this.active.get(model);
    if (!a) return 'not-deployed';
    if (!a.router) return 'unavailable';
    const m = a.models.get(a.router.pick(routingKey))!;
    m.acquire();
    return m;
  }

  /**
   * The shadow version of `model` with a lease taken, unless `served` is the shadow itself
   * (a pinned request) or there is none. The caller must call `releaseLease()`.
   */
  acquireShadow(model: string, served: number): LoadedModel | undefined {
    const m = this.active.get(model)?.shadow;
    if (!m || m.version === served) return undefined;
    m.acquire();
    return m;
  }

  /**
   * Takes a lease on one named version, bypassing the split: allowed for any version in the
   * model's deployment (weight 0 included), never for one outside it. `unavailable` when that
   * version failed to load. The caller must call `releaseLease()`.
   */
  acquireVersion(model: string, version: number): LoadedModel | Unpinnable {
    const a = this.active.get(model);
    if (!a) return 'not-deployed';
    const m = a.models.get(version);
    if (!m) return a.failures.has(version) ? 'unavailable' : 'version-not-deployed';
    m.acquire();
    return m;
  }

  /**
   * The loaded sessions a request to `model` may reach: the named version, or without one every
   * loaded version with traffic, champion first (for protocol metadata). Empty when none.
   */
  reachable(model: string, version?: number): readonly LoadedModel[] {
    const a = this.active.get(model);
    if (!a) return NONE;
    if (version !== undefined) {
      const m = a.models.get(version);
      return m ? [m] : NONE;
    }
    return a.reachable;
  }

  view(model: string): DeploymentView | undefined {
    const a = this.active.get(model);
    if (!a) return undefined;
    const live = a.record.versions.filter((v) => a.models.has(v.version));
    const total = live.reduce((s, v) => s + v.weight, 0);
    const versions = a.record.versions.map((v): DeployedVersion => {
      const m = a.models.get(v.version);
      if (!m) return { ...v, share: 0, state: 'failed', failure: a.failures.get(v.version) };
      return { ...v, share: total > 0 ? v.weight / total : 0, state: 'serving', sha256: m.sha256, loadedAt: new Date(m.loadedAt).toISOString(), inFlight: m.inFlight };
    });
    const { routingSalt: _secret, ...record } = a.record;
    return { ...record, versions, serving: a.router !== undefined };
  }

  list(): DeploymentView[] {
    return [...this.active.keys()].sort().map((model) => this.view(model)!);
  }

  /** Versions of deployed models that failed to load. */
  failures(): LoadFailure[] {
    return [...this.active.values()].flatMap((a) => [...a.failures.values()]);
  }

  /** Waits for pending changes, then retires every version (sessions go once in-flight requests finish). */
  close(): Promise<void> {
    return this.serialised(async () => {
      for (const a of this.active.values()) a.models.forEach((m) => m.retire());
      this.active.clear();
    });
  }

  private install(record: DeploymentRecord, models: Map<number, LoadedModel>, failures: Map<number, LoadFailure>): void {
    const loaded = record.versions.filter((v) => models.has(v.version));
    const router = loaded.some((v) => v.weight > 0) ? createRouter(loaded, Math.random, record.routingSalt) : undefined;
    const shadow = record.shadow === undefined ? undefined : models.get(record.shadow);
    const reachable = Object.freeze(loaded.filter((v) => v.weight > 0).map((v) => models.get(v.version)!));
    this.active.set(record.model, { record, models, failures, router, shadow, reachable });
    this.deps.onChange?.(record.model, this.view(record.model));
  }

  private records(): DeploymentRecord[] {
    return [...this.active.values()].map((a) => a.record);
  }

  private async tryLoad(model: string, version: number): Promise<LoadedModel | LoadFailure> {
    try {
      return await this.deps.loader.load(model, version);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const failure: LoadFailure = { model, version, error: e.name, message: e.message, at: this.now().toISOString() };
      this.deps.logger.error({ model, version, err: e }, 'model version refused: could not load it');
      this.deps.onLoadFailure?.(failure);
      return failure;
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

const NONE: readonly LoadedModel[] = Object.freeze([]);

function sameVersions(a: readonly WeightedVersion[], b: readonly WeightedVersion[]): boolean {
  return a.length === b.length && a.every((v, i) => v.version === b[i].version && v.weight === b[i].weight);
}
