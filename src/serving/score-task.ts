/**
 * Scores feature rows with a session per task: binary models go through the evaluation step's
 * `scoreRows` (P(label = 1), unchanged), multiclass models answer their `probabilities` row by
 * row ([n × K], row-major, columns in class order), regression models their `value` ([n]).
 * Feeds are built as `scoreRows` builds them: missing numbers are NaN (the graph imputes them),
 * missing categories ''.
 */
import * as ort from 'onnxruntime-node';
import { scoreRows, type FeatureValue } from '../evaluation/score-model';
import { EvaluationError } from '../errors';
import type { ModelInput } from './loaded-model';
import { taskWidth, type ServedTask } from './model-task';

export async function scoreTask(
  session: ort.InferenceSession,
  task: ServedTask,
  inputs: readonly ModelInput[],
  rows: Record<string, FeatureValue>[],
): Promise<Float32Array> {
  if (task.task === 'binary') return scoreRows(session, rows);
  const n = rows.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const { name, kind } of inputs) {
    feeds[name] =
      kind === 'float32'
        ? new ort.Tensor('float32', Float32Array.from(rows, (row) => (row[name] == null ? NaN : Number(row[name]))), [n, 1])
        : new ort.Tensor('string', rows.map((row) => (row[name] == null ? '' : String(row[name]))), [n, 1]);
  }
  const output = task.task === 'multiclass' ? 'probabilities' : 'value';
  const tensor = (await session.run(feeds, [output]))[output];
  const width = taskWidth(task);
  if (!tensor || tensor.type !== 'float32' || tensor.data.length !== n * width) {
    throw new EvaluationError(`"${output}" answered ${tensor ? `${tensor.type} [${tensor.dims.join(', ')}]` : 'nothing'} for ${n} rows; expected float [${n}, ${width}]`);
  }
  // A copy, not the session's buffer: the micro-batch hands out views of it.
  return Float32Array.from(tensor.data as Float32Array);
}
