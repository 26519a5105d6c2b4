/**
 * What a protocol tells a client to send to a model: the inputs of the sessions a request may
 * reach, and model metadata in the Open Inference Protocol's shape.
 */
import type { DeploymentManager } from '../deployment-manager';
import type { LoadedModel, ModelInput } from '../loaded-model';
import { BINARY, type ServedTask } from '../model-task';
import { outputsFor } from './tensors';

/** Why a model (or one version of it) has no inputs to show. */
export type Unreachable = { status: 404 | 503; error: string };

/**
 * The inputs a request to `model` (or to one `version`) must carry: without a version, the
 * union over every version with traffic (a request may land on any), in the champion's order.
 */
export function reachableInputs(deployments: DeploymentManager, model: string, version?: number): readonly ModelInput[] | Unreachable {
  const sessions = deployments.reachable(model, version);
  if (sessions.length === 1) return sessions[0].inputs;
  if (sessions.length > 1) return unionInputs(sessions);
  const view = deployments.view(model);
  if (!view) return { status: 404, error: `model "${model}" is not deployed on this server` };
  if (version !== undefined && !view.versions.some((v) => v.version === version)) {
    return { status: 404, error: `version ${version} of model "${model}" is not deployed on this server; deployed: ${view.versions.map((v) => v.version).join(', ')}` };
  }
  return { status: 503, error: `no version of model "${model}"${version !== undefined ? ` (version ${version})` : ''} could be loaded; see GET /readyz` };
}

/** The task a request to `model` (or one `version`) is answered in: one deployment serves one task (deployment-manager.ts). */
export function reachableTask(deployments: DeploymentManager, model: string, version?: number): ServedTask {
  return deployments.reachable(model, version)[0]?.task ?? BINARY;
}

/** Per reachable list: the deployment manager keeps one list per installed deployment, so this is computed once per change. */
const unions = new WeakMap<readonly LoadedModel[], readonly ModelInput[]>();

function unionInputs(sessions: readonly LoadedModel[]): readonly ModelInput[] {
  const cached = unions.get(sessions);
  if (cached) return cached;
  const union = Object.freeze(computeUnion(sessions));
  unions.set(sessions, union);
  return union;
}

function computeUnion(sessions: readonly LoadedModel[]): ModelInput[] {
  const seen = new Map<string, ModelInput>();
  for (const s of sessions) for (const i of s.inputs) if (!seen.has(i.name)) seen.set(i.name, i);
  return [...seen.values()];
}

/** `GET /v2/models/:name[/versions/:v]`: names, datatypes and shapes of inputs and outputs. */
export function modelMetadata(deployments: DeploymentManager, model: string, version?: number) {
  const inputs = reachableInputs(deployments, model, version);
  if ('error' in inputs) return inputs;
  const task = reachableTask(deployments, model, version);
  const deployed = version !== undefined ? [version] : deployments.view(model)!.versions.filter((v) => v.state === 'serving').map((v) => v.version);
  return {
    name: model,
    versions: deployed.map(String),
    platform: 'onnxruntime_onnx',
    inputs: inputs.map((i) => ({ name: i.name, datatype: i.kind === 'string' ? 'BYTES' : 'FP32', shape: [-1, 1] })),
    outputs: outputsFor(task).map((o) => ({ name: o.name, datatype: o.datatype, shape: [...o.shape] })),
    // Not in the protocol's metadata: what the outputs mean (the class order of `probabilities`).
    ...(task.task === 'binary' ? {} : { parameters: { task: task.task, ...(task.task === 'multiclass' ? { classes: JSON.stringify(task.classes) } : {}) } }),
  };
}
