/**
 * The task a served model solves — binary, multiclass or regression — decided when a version
 * is loaded, from what the model declares (the registry version's `task`/`classes`, else the
 * ONNX file's `slipway.task`/`slipway.classes` metadata, else binary as before tasks existed)
 * and checked against the session's outputs (the model contract per task,
 * src/training/ARCHITECTURE.md). A model whose outputs do not fit its task is refused on load
 * with the mismatch named, rather than answering numbers that mean something else.
 */
import type * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { EvaluationError } from '../errors';

/** What the server needs to know of a model's task to answer, log and judge its predictions. */
export type ServedTask = { task: 'binary' } | { task: 'multiclass'; classes: readonly string[] } | { task: 'regression' };

export const BINARY: ServedTask = Object.freeze({ task: 'binary' });

/** Numbers per row in a version's prediction buffer: P(label = 1), K class probabilities, or the value. */
export const taskWidth = (t: ServedTask): number => (t.task === 'multiclass' ? t.classes.length : 1);

export function sameTask(a: ServedTask, b: ServedTask): boolean {
  if (a.task !== b.task) return false;
  if (a.task !== 'multiclass' || b.task !== 'multiclass') return true;
  return a.classes.length === b.classes.length && a.classes.every((c, i) => c === b.classes[i]);
}

/** `binary`, `regression`, or `multiclass (a, b, c)`, for messages. */
export function describeTask(t: ServedTask): string {
  return t.task === 'multiclass' ? `multiclass (${t.classes.join(', ')})` : t.task;
}

/** A task as declared by the registry or the file, before it is checked against the outputs. */
export interface DeclaredTask {
  task?: string;
  classes?: unknown;
  /** Where the declaration came from, for messages. */
  source: string;
}

/**
 * The task the registry records for a version: `task` and `classes` in its lineage (the register
 * step records them there), the import's task, or a declaration in its params or tags (`classes` as
 * a JSON list). Undefined when none.
 */
export function registryTask(version: { params: Record<string, unknown>; tags: Record<string, string>; lineage?: Record<string, unknown> }): DeclaredTask | undefined {
  // The register step records the task in lineage; an import records it with the import; params/tags are a hand-made declaration.
  const imported = version.lineage?.imported as { task?: unknown } | null | undefined;
  const task = version.lineage?.task ?? imported?.task ?? version.params.task ?? version.tags.task;
  if (task === undefined) return undefined;
  let classes = version.lineage?.task !== undefined ? version.lineage.classes : (version.params.classes ?? version.tags.classes);
  if (typeof classes === 'string') {
    try {
      classes = JSON.parse(classes);
    } catch {
      // left as the string; checked (and refused by name) below
    }
  }
  return { task: String(task), classes, source: 'the registry' };
}

/** `slipway.task` / `slipway.classes` from the ONNX file's metadata_props; undefined when absent. */
export function onnxTask(bytes: Uint8Array): DeclaredTask | undefined {
  let props: onnx.IStringStringEntryProto[];
  try {
    props = onnx.ModelProto.decode(bytes).metadataProps ?? [];
  } catch {
    return undefined; // onnxruntime judges the file itself; a file it loads but this cannot decode declares nothing
  }
  const get = (key: string) => props.find((p) => p.key === key)?.value ?? undefined;
  const task = get('slipway.task');
  if (task === undefined) return undefined;
  const raw = get('slipway.classes');
  let classes: unknown = raw;
  if (raw !== undefined) {
    try {
      classes = JSON.parse(raw);
    } catch {
      // refused by name below
    }
  }
  return { task, classes, source: 'the model file' };
}

/**
 * Checks the session's outputs against the declared task and returns it.
 * @throws EvaluationError naming the model, the task, what the outputs are and what the task needs.
 */
export function resolveServedTask(session: Pick<ort.InferenceSession, 'outputNames' | 'outputMetadata'>, declared: DeclaredTask | undefined, who: string): ServedTask {
  const outputs = describeOutputs(session);
  const refuse = (task: string, needs: string) =>
    new EvaluationError(`${who} is ${declared ? `declared ${task} by ${declared.source}` : 'taken as binary (it declares no task)'} but its outputs are ${outputs}; a ${task} model needs ${needs}`, {
      details: { task, outputs: session.outputNames, needs },
    });
  const meta = (name: string) => session.outputMetadata?.find((m) => m.name === name);
  const floatOutput = (name: string) => {
    const m = meta(name);
    return session.outputNames.includes(name) && (!m || (m.isTensor && m.type === 'float32'));
  };
  const width = (name: string): number | undefined => {
    const m = meta(name);
    const last = m?.isTensor && m.shape.length === 2 ? m.shape[1] : undefined;
    return typeof last === 'number' ? last : undefined;
  };
  const task = declared?.task ?? 'binary';
  if (task === 'binary') {
    const w = width('probabilities');
    if (!floatOutput('probabilities') || (w !== undefined && w !== 2 && w !== 1)) throw refuse('binary', 'a float "probabilities" output [N, 2] (column 1 = P(label = 1))');
    return BINARY;
  }
  if (task === 'multiclass') {
    const classes = declared?.classes;
    if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string' && c.length > 0) || new Set(classes).size !== classes.length) {
      throw new EvaluationError(`${who} is declared multiclass by ${declared?.source} without its classes: give "classes" as a list of at least 2 distinct class names, in the order of the "probabilities" columns`, {
        details: { task, classes },
      });
    }
    const w = width('probabilities');
    if (!floatOutput('probabilities') || (w !== undefined && w !== classes.length)) {
      throw refuse('multiclass', `a float "probabilities" output [N, ${classes.length}], one column per class (${classes.join(', ')})`);
    }
    return { task: 'multiclass', classes: Object.freeze([...(classes as string[])]) };
  }
  if (task === 'regression') {
    const w = width('value');
    if (!floatOutput('value') || (w !== undefined && w !== 1)) throw refuse('regression', 'a float "value" output [N, 1]');
    return { task: 'regression' };
  }
  throw new EvaluationError(`${who} is declared task "${task}" by ${declared?.source}; the model server serves binary, multiclass and regression models`, { details: { task } });
}

function describeOutputs(session: Pick<ort.InferenceSession, 'outputNames' | 'outputMetadata'>): string {
  const list = session.outputNames.map((name) => {
    const m = session.outputMetadata?.find((x) => x.name === name);
    return m?.isTensor ? `"${name}" ${m.type} [${m.shape.join(', ')}]` : `"${name}"`;
  });
  return list.length > 0 ? list.join(', ') : 'none';
}
