/**
 * Ground truth per task, checked against the prediction it labels (pure): a binary label is
 * 0/1 (or a boolean), a multiclass label one of the model's class names, a regression label a
 * finite number. Each checked label becomes the (score, label) pair the version's label window
 * keeps (label-window.ts).
 */
import { taskWidth, type ServedTask } from './model-task';

/** One labelled row as the label window keeps it. */
export interface LabelledRow {
  score: number;
  label: 0 | 1;
}

/** What a label of this task looks like, for messages. */
export function labelType(task: ServedTask): string {
  if (task.task === 'multiclass') {
    const shown = task.classes.slice(0, 10).map((c) => JSON.stringify(c)).join(', ');
    return `a class name (${shown}${task.classes.length > 10 ? `, … ${task.classes.length} in all` : ''})`;
  }
  return task.task === 'regression' ? 'a finite number (the true value)' : '0 or 1 (or true/false)';
}

/**
 * Turns the labels of one request into label-window rows.
 * @param field the body field, for messages (`label`, or `labels` whose entries are named `labels[i]`)
 * @returns the rows, or the problem naming the field, the value and what the task needs
 */
export function labelRows(task: ServedTask, scores: Float32Array, labels: readonly unknown[], field: 'label' | 'labels'): LabelledRow[] | string {
  const width = taskWidth(task);
  const rows: LabelledRow[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const where = field === 'label' ? 'label' : `labels[${i}]`;
    const bad = () => `${where}: ${JSON.stringify(y)} is not a label of this ${task.task} model; send ${labelType(task)}`;
    if (task.task === 'binary') {
      if (y !== 0 && y !== 1 && y !== true && y !== false) return bad();
      rows.push({ score: scores[i], label: y === 1 || y === true ? 1 : 0 });
    } else if (task.task === 'regression') {
      if (typeof y !== 'number' || !Number.isFinite(y)) return bad();
      rows.push({ score: scores[i] - y, label: 0 });
    } else {
      const k = typeof y === 'string' ? task.classes.indexOf(y) : -1;
      if (k < 0) return bad();
      const row = scores.subarray(i * width, (i + 1) * width);
      let top = 0;
      for (let c = 1; c < width; c++) if (row[c] > row[top]) top = c;
      rows.push({ score: row[k], label: top === k ? 1 : 0 });
    }
  }
  return rows;
}
