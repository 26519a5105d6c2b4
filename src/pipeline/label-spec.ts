/**
 * The label of a pipeline and the task it makes: binary, multiclass or regression.
 *
 * A spec writes the label one of three ways (see ARCHITECTURE.md in src/training for the model
 * contract per task):
 * - `{ column, op, value }`: a comparison (`gt gte lt lte` with a number), an equality
 *   (`eq ne` with a number, string or boolean) or a membership (`in notIn` with a list);
 *   always binary, 1 where it holds;
 * - `{ expression: 'weather in ["rain", "drizzle"]' }`: the same, as one line of text;
 * - `{ column }` alone: the column itself, a 0/1 label (binary, as before), or with
 *   `task: multiclass` the classes of a categorical column, or with `task: regression`
 *   a numeric target.
 *
 * Pure (zod only): parsed specs are unchanged (no defaults are added), so cached steps and
 * recorded histories see the same parameters as before; the task is derived by {@link resolveLabel}.
 */
import { z } from 'zod';

export const TASKS = ['binary', 'multiclass', 'regression'] as const;
export type Task = (typeof TASKS)[number];

export const LABEL_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'in', 'notIn'] as const;
export type LabelOp = (typeof LABEL_OPS)[number];

/** Bounds on what a label may carry into SQL and into the model's metadata. */
export const LABEL_LIMITS = { maxText: 256, maxListValues: 1000, maxClasses: 1000, maxExpression: 2000 } as const;

const COMPARISONS = new Set<LabelOp>(['gt', 'gte', 'lt', 'lte']);
const LISTS = new Set<LabelOp>(['in', 'notIn']);

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a column name (letters, digits, _)');

/** A text literal: bounded, no control characters (they would travel into SQL and reports). */
const text = z
  .string()
  .max(LABEL_LIMITS.maxText, `at most ${LABEL_LIMITS.maxText} characters`)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed');
const literal = z.union([z.number(), text, z.boolean()]);

export const labelSchema = z
  .object({
    /** Name of the label column in the snapshot. */
    name: identifier.default('label'),
    column: identifier.optional().describe('The source column the label is read from (or named in `expression`).'),
    op: z
      .enum(LABEL_OPS)
      .optional()
      .describe('gt gte lt lte compare with a number; eq ne with a number, text or boolean; in notIn with a list. The label is 1 where it holds (binary).'),
    value: z.union([literal, z.array(z.union([z.number(), text])).min(1).max(LABEL_LIMITS.maxListValues)]).optional(),
    /** `column op value` as one line, e.g. `weather == "rain"` or `temp_max >= 20`; instead of column, op and value. */
    expression: z
      .string()
      .max(LABEL_LIMITS.maxExpression)
      .optional()
      .describe('column op value as one line, e.g. weather == "rain", delay > 15, weather in ["rain", "drizzle"]; text in double quotes.'),
    /** Inferred when absent: binary for `op`/`expression` and for a bare column. */
    task: z
      .enum(TASKS)
      .optional()
      .describe('binary (default; any op or expression), multiclass (the column\'s classes) or regression (the column as a number).'),
    /** Multiclass only: the known classes; other values are refused at ingest (counted as conversion failures). */
    classes: z
      .array(text.min(1))
      .min(2)
      .max(LABEL_LIMITS.maxClasses)
      .optional()
      .describe('multiclass: the known classes, pinned; other values are counted as conversion failures. Default: inferred (sorted) at ingest.'),
  })
  .strict()
  .superRefine((label, ctx) => {
    for (const problem of labelProblems(label)) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });

export type LabelSpec = z.infer<typeof labelSchema>;

type Scalar = number | string | boolean;

/** A label that compares a numeric source column with a number: positive when `source op value`. */
export interface LabelComparison {
  op: 'gt' | 'gte' | 'lt' | 'lte';
  value: number;
}

/** The label in one normal form, whatever way the spec wrote it. */
export type LabelDefinition =
  | { task: 'binary'; name: string; column: string; kind: 'indicator' }
  | { task: 'binary'; name: string; column: string; kind: 'compare'; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { task: 'binary'; name: string; column: string; kind: 'equals'; op: 'eq' | 'ne'; value: Scalar }
  | { task: 'binary'; name: string; column: string; kind: 'member'; op: 'in' | 'notIn'; values: Array<number | string> }
  | { task: 'multiclass'; name: string; column: string; classes?: string[] }
  | { task: 'regression'; name: string; column: string };

/** The task a (valid) label makes. */
export function labelTask(label: Pick<LabelSpec, 'task'>): Task {
  return label.task ?? 'binary';
}

/**
 * The normal form of a label accepted by {@link labelSchema}.
 * @throws RangeError naming each problem, when the schema refuses the label.
 */
export function resolveLabel(spec: LabelSpec): LabelDefinition {
  // Parsed again here, so no caller can reach SQL with a label the schema would refuse.
  const checked = labelSchema.safeParse(spec);
  if (!checked.success) {
    throw new RangeError(`label: ${checked.error.issues.map((i) => `${[...i.path].join('.') || 'label'}: ${i.message}`).join('; ')}`);
  }
  const label = checked.data;
  const name = label.name;
  const task = labelTask(label);
  if (task === 'multiclass') return { task, name, column: label.column!, ...(label.classes ? { classes: [...label.classes] } : {}) };
  if (task === 'regression') return { task, name, column: label.column! };
  const { column, op, value } = label.expression !== undefined ? parseLabelExpression(label.expression) : (label as Required<LabelSpec>);
  if (op === undefined) return { task, name, column, kind: 'indicator' };
  if (COMPARISONS.has(op)) return { task, name, column, kind: 'compare', op: op as 'gt', value: value as number };
  if (LISTS.has(op)) return { task, name, column, kind: 'member', op: op as 'in', values: [...(value as Array<number | string>)] };
  return { task, name, column, kind: 'equals', op: op as 'eq', value: value as Scalar };
}

interface Problem {
  message: string;
  path: string[];
}

function labelProblems(label: LabelSpec): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path: [path], message });
  let { column, op, value } = label;
  if (label.expression !== undefined) {
    if (column !== undefined || op !== undefined || value !== undefined) {
      add('expression', 'give either expression or column/op/value, not both');
      return problems;
    }
    try {
      ({ column, op, value } = parseLabelExpression(label.expression));
    } catch (err) {
      add('expression', (err as Error).message);
      return problems;
    }
  }
  if (column === undefined) add('column', 'name the label column (or give an expression such as weather == "rain")');
  if ((op === undefined) !== (value === undefined)) add(op === undefined ? 'op' : 'value', 'give op and value together, or neither');
  const task = labelTask(label);
  if (op !== undefined && task !== 'binary') {
    add('task', `a label with op ${op} is 1 where it holds and 0 elsewhere, a binary task; drop op and value for a ${task} label`);
  }
  if (label.classes !== undefined && task !== 'multiclass') add('classes', 'classes are for task: multiclass');
  if (label.classes !== undefined && new Set(label.classes).size !== label.classes.length) add('classes', 'each class may be listed once');
  if (op === undefined || value === undefined) return problems;
  if (COMPARISONS.has(op) && typeof value !== 'number') add('value', `op ${op} compares numbers; got ${JSON.stringify(value)}`);
  if (LISTS.has(op)) {
    if (!Array.isArray(value)) add('value', `op ${op} needs a list such as ["rain", "drizzle"]; got ${JSON.stringify(value)}`);
    else if (new Set(value.map((v) => typeof v)).size > 1) add('value', `op ${op} needs a list of all numbers or all strings`);
  } else if (Array.isArray(value)) add('value', `op ${op} takes one value; use op in for a list`);
  return problems;
}

const EXPRESSION_OPS: Record<string, LabelOp> = { '==': 'eq', '=': 'eq', '!=': 'ne', '<>': 'ne', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', in: 'in', 'not in': 'notIn' };

/**
 * Parses `column op literal`: op one of `== = != <> > >= < <= in`, `not in`; the literal is JSON
 * (a number, a double-quoted string, true/false, or a list of numbers or strings), so nothing
 * else of the text ever reaches SQL.
 * @throws RangeError naming what is wrong.
 */
export function parseLabelExpression(expression: string): { column: string; op: LabelOp; value: Scalar | Array<number | string> } {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|=|!=|<>|>=|<=|>|<|not\s+in\b|in\b)\s*(.*?)\s*$/is.exec(expression);
  if (!match) {
    throw new RangeError(`cannot read label expression ${JSON.stringify(expression)}; write column op value, e.g. weather == "rain", delay > 15 or weather in ["rain", "drizzle"]`);
  }
  const [, column, rawOp, rawValue] = match;
  const op = EXPRESSION_OPS[rawOp.toLowerCase().replace(/\s+/g, ' ')];
  let value: unknown;
  try {
    value = JSON.parse(rawValue);
  } catch {
    throw new RangeError(`label expression value ${JSON.stringify(rawValue)} is not a literal; quote text with double quotes ("rain") and write lists as ["a", "b"]`);
  }
  const parsed = z.union([literal, z.array(z.union([z.number(), text])).min(1).max(LABEL_LIMITS.maxListValues)]).safeParse(value);
  if (!parsed.success) {
    throw new RangeError(`label expression value ${JSON.stringify(rawValue)} must be a number, a string, true/false or a non-empty list of numbers or strings`);
  }
  return { column, op, value: parsed.data };
}
