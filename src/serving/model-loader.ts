/**
 * Turns a registered model version into a {@link LoadedModel}: registry → artifact ref →
 * bytes verified against the ref's sha256 → onnxruntime session created from those very
 * bytes (no second read of the file that could have changed in between).
 */
import * as ort from 'onnxruntime-node';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { EvaluationError, RegistryError } from '../errors';
import type { ModelRegistry } from '../registry/model-registry';
import { linearScorer } from './linear-scorer';
import { LoadedModel } from './loaded-model';
import { onnxTask, registryTask, resolveServedTask, type DeclaredTask, type ServedTask } from './model-task';

/** Loads model versions for the server; one implementation per source of models. */
export interface ModelLoader {
  /**
   * Loads `model` version `version`, ready to predict.
   * @throws RegistryError (`unknown-version`) when the registry has no such version;
   * ArtifactIntegrityError when the stored bytes are missing or do not match the registered sha256;
   * EvaluationError when the bytes are not a model that follows the contract.
   */
  load(model: string, version: number): Promise<LoadedModel>;
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  // Single-row inference is microseconds of work; extra intra-op threads only spin and steal
  // the CPU the event loop needs (the server runs on small machines next to other work).
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

export interface RegistryModelLoaderOptions {
  /**
   * Score models proven to be Slipway logistic-regression exports in TypeScript (linear-scorer.ts);
   * onnxruntime still loads them (metadata, and the proof that they load). @default true
   */
  linearScorer?: boolean;
}

export class RegistryModelLoader implements ModelLoader {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ArtifactStore,
    private readonly options: RegistryModelLoaderOptions = {},
  ) {}

  async load(model: string, version: number): Promise<LoadedModel> {
    const registered = await this.registry.getVersion(model, version);
    if (!registered) {
      throw new RegistryError(`model "${model}" has no version ${version} in the registry; register it first or deploy an existing version`, {
        details: { kind: 'unknown-version', model, version },
      });
    }
    // readBytes hashes the bytes it returns, so the session is built from exactly what was verified.
    const bytes = await this.store.readBytes(registered.artifact);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new EvaluationError(`model "${model}" version ${version} is not a loadable ONNX model: ${message}`, {
        cause: err,
        details: { model, version },
      });
    }
    let task: ServedTask;
    try {
      task = resolveServedTask(session, declaredTask(registryTask(registered), onnxTask(bytes)), `model "${model}" version ${version}`);
    } catch (err) {
      await session.release();
      throw err;
    }
    // Only binary models can be Slipway's logistic regression, the one shape the TypeScript scorer proves identical.
    const scorer = task.task === 'binary' && (this.options.linearScorer ?? true) ? linearScorer(bytes) : undefined;
    return new LoadedModel(model, version, registered.artifact.sha256, session, Date.now(), task, scorer);
  }
}

/** The registry's declaration wins; a multiclass one without classes takes the file's class list. */
function declaredTask(registry: DeclaredTask | undefined, file: DeclaredTask | undefined): DeclaredTask | undefined {
  if (!registry) return file;
  if (registry.task === 'multiclass' && registry.classes === undefined && file?.task === 'multiclass') return { ...registry, classes: file.classes };
  return registry;
}
