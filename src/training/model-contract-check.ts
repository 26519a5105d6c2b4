/**
 * Checks an ONNX model made elsewhere against the contract declared for it (task, feature
 * columns, classes) before Slipway stores or scores it: the model contract of ARCHITECTURE.md,
 * read from the session onnxruntime builds, then one probe run on two rows to see the output
 * shapes the graph really produces (symbolic dimensions in the declared shapes say nothing).
 * Every mismatch is collected, so one refusal names them all.
 */
import * as ort from 'onnxruntime-node';
import { ModelContractError } from '../errors';
import type { Task } from '../pipeline/label-spec';

/** What an importer declares about a model. */
export interface DeclaredContract {
  task: Task;
  /** Feature columns: numeric ones are `tensor(float)` inputs, categorical ones `tensor(string)`, each `[N, 1]`. */
  features: { numeric: string[]; categorical: string[] };
  /** Multiclass only: the class names in the order of the `probabilities` columns. */
  classes?: string[];
}

/** What the check saw, recorded with the imported version. */
export interface ContractFacts {
  inputs: { name: string; type: string }[];
  outputs: { name: string; type: string; probeShape: number[] }[];
}

/** Outputs each task must have, with their element type and their width per row (undefined: a vector [N]). */
const TASK_OUTPUTS: Record<Task, { name: string; type: ort.Tensor.Type; width: (c: DeclaredContract) => number | undefined }[]> = {
  binary: [
    { name: 'label', type: 'int64', width: () => undefined },
    { name: 'probabilities', type: 'float32', width: () => 2 },
  ],
  multiclass: [
    { name: 'label', type: 'string', width: () => undefined },
    { name: 'probabilities', type: 'float32', width: (c) => c.classes?.length },
  ],
  regression: [{ name: 'value', type: 'float32', width: () => 1 }],
};

const PROBE_ROWS = 2;

/**
 * @throws ModelContractError naming every mismatch: a file onnxruntime cannot load, missing,
 * extra or mistyped inputs, missing or mistyped outputs, wrong output widths, probabilities that
 * are not probabilities, multiclass labels outside the declared classes.
 */
export async function checkModelContract(model: string | Uint8Array, declared: DeclaredContract): Promise<ContractFacts> {
  const declaredProblems = checkDeclaration(declared);
  if (declaredProblems.length > 0) throw new ModelContractError(declaredProblems);
  let session: ort.InferenceSession;
  try {
    session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  } catch (err) {
    throw new ModelContractError([`onnxruntime cannot load the model: ${(err as Error).message.split('\n')[0]}`], { cause: err });
  }
  try {
    const problems = [...checkInputs(session, declared), ...checkOutputTypes(session, declared)];
    if (problems.length > 0) throw new ModelContractError(problems);
    const outputs = await probe(session, declared);
    const probeProblems = checkProbe(outputs, declared);
    if (probeProblems.length > 0) throw new ModelContractError(probeProblems);
    return {
      inputs: session.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor' })),
      outputs: Object.entries(outputs).map(([name, t]) => ({ name, type: t.type, probeShape: [...t.dims] })),
    };
  } finally {
    await session.release();
  }
}

function checkDeclaration(c: DeclaredContract): string[] {
  const problems: string[] = [];
  const all = [...c.features.numeric, ...c.features.categorical];
  if (all.length === 0) problems.push('features: declare at least one numeric or categorical feature');
  const twice = all.filter((f, i) => all.indexOf(f) !== i);
  if (twice.length > 0) problems.push(`features: ${[...new Set(twice)].join(', ')} declared more than once`);
  if (c.task === 'multiclass' && (!c.classes || c.classes.length < 2)) problems.push('classes: a multiclass model needs its class list (at least 2), in the order of its probabilities columns');
  if (c.task !== 'multiclass' && c.classes) problems.push(`classes: only multiclass models take a class list; this one is ${c.task}`);
  return problems;
}

function checkInputs(session: ort.InferenceSession, c: DeclaredContract): string[] {
  const problems: string[] = [];
  const expected = new Map<string, ort.Tensor.Type>([
    ...c.features.numeric.map((f) => [f, 'float32'] as const),
    ...c.features.categorical.map((f) => [f, 'string'] as const),
  ]);
  const missing = [...expected.keys()].filter((f) => !session.inputNames.includes(f));
  if (missing.length > 0) problems.push(`inputs: the model has no input for declared feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (its inputs: ${session.inputNames.join(', ') || 'none'})`);
  const extra = session.inputNames.filter((n) => !expected.has(n));
  if (extra.length > 0) problems.push(`inputs: ${extra.join(', ')} ${extra.length > 1 ? 'are inputs' : 'is an input'} of the model but not a declared feature; declare ${extra.length > 1 ? 'them' : 'it'} (--numeric or --categorical) or export the model without ${extra.length > 1 ? 'them' : 'it'}`);
  for (const meta of session.inputMetadata) {
    const want = expected.get(meta.name);
    if (!want) continue;
    if (!meta.isTensor) {
      problems.push(`inputs.${meta.name}: expected a tensor(${onnxType(want)}) [N, 1], got a non-tensor input`);
      continue;
    }
    if (meta.type !== want) problems.push(`inputs.${meta.name}: declared ${want === 'string' ? 'categorical' : 'numeric'}, so tensor(${onnxType(want)}) is expected, but the model takes tensor(${onnxType(meta.type)})`);
    const width = meta.shape[1];
    if (meta.shape.length !== 2 || (typeof width === 'number' && width !== 1)) problems.push(`inputs.${meta.name}: expected shape [N, 1], got [${meta.shape.join(', ')}]`);
  }
  return problems;
}

function checkOutputTypes(session: ort.InferenceSession, c: DeclaredContract): string[] {
  const problems: string[] = [];
  for (const want of TASK_OUTPUTS[c.task]) {
    const meta = session.outputMetadata.find((m) => m.name === want.name);
    if (!meta) {
      problems.push(`outputs: a ${c.task} model must have an output "${want.name}" (tensor(${onnxType(want.type)})); the model's outputs are ${session.outputNames.join(', ')}`);
      continue;
    }
    if (!meta.isTensor) problems.push(`outputs.${want.name}: expected tensor(${onnxType(want.type)}), got a non-tensor output (export classifiers with zipmap=False)`);
    else if (meta.type !== want.type) problems.push(`outputs.${want.name}: expected tensor(${onnxType(want.type)}), got tensor(${onnxType(meta.type)})`);
  }
  return problems;
}

/** Runs two rows of neutral values (0 and '') through the model: the real output shapes and values. */
async function probe(session: ort.InferenceSession, c: DeclaredContract): Promise<Record<string, ort.Tensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const f of c.features.numeric) feeds[f] = new ort.Tensor('float32', new Float32Array(PROBE_ROWS), [PROBE_ROWS, 1]);
  for (const f of c.features.categorical) feeds[f] = new ort.Tensor('string', Array<string>(PROBE_ROWS).fill(''), [PROBE_ROWS, 1]);
  try {
    const wanted = TASK_OUTPUTS[c.task].map((o) => o.name);
    return (await session.run(feeds, wanted)) as Record<string, ort.Tensor>;
  } catch (err) {
    throw new ModelContractError([`the model fails on ${PROBE_ROWS} rows of 0 and '' values: ${(err as Error).message.split('\n')[0]}`], { cause: err });
  }
}

function checkProbe(outputs: Record<string, ort.Tensor>, c: DeclaredContract): string[] {
  const problems: string[] = [];
  for (const want of TASK_OUTPUTS[c.task]) {
    const t = outputs[want.name];
    const width = want.width(c);
    const expected = width === undefined ? [PROBE_ROWS] : [PROBE_ROWS, width];
    const dims = [...t.dims];
    // A vector output may also come as [N, 1] (some converters keep the column).
    const ok = dims.join() === expected.join() || (width === undefined && dims.join() === [PROBE_ROWS, 1].join());
    if (!ok) {
      const shape = width === undefined ? '[N]' : `[N, ${width}]`;
      const why = c.task === 'multiclass' && want.name === 'probabilities' ? ` (one column per declared class: ${c.classes!.join(', ')})` : '';
      problems.push(`outputs.${want.name}: expected shape ${shape}${why}, got [${dims.map((d, i) => (i === 0 ? 'N' : d)).join(', ')}] on ${PROBE_ROWS} rows`);
    }
  }
  const p = outputs.probabilities;
  if (p && c.task !== 'regression' && problems.length === 0) {
    const values = p.data as Float32Array;
    const k = p.dims[1];
    for (let row = 0; row < PROBE_ROWS; row++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += values[row * k + j];
      // Float sums of softmax or 1-p, p columns are within a few ulps of 1; raw scores are not.
      if (!(Math.abs(sum - 1) < 1e-3)) {
        problems.push(`outputs.probabilities: each row must sum to 1 (probabilities, not raw scores); row ${row} of the probe sums to ${sum}`);
        break;
      }
    }
  }
  if (c.task === 'multiclass' && problems.length === 0) {
    const unknown = (outputs.label.data as string[]).filter((l) => !c.classes!.includes(l));
    if (unknown.length > 0) problems.push(`outputs.label: the model predicts ${JSON.stringify(unknown[0])}, which is not a declared class (${c.classes!.join(', ')})`);
  }
  return problems;
}

const onnxType = (t: ort.Tensor.Type): string => (t === 'float32' ? 'float' : t);
