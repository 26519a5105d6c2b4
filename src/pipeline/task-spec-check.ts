/**
 * Spec-level check that an evaluate step asks only for what its task can compute: an `auc` gate
 * on a regression pipeline is refused at parse time with the field named, not found out by a
 * gate that fails for a "missing metric" after training. The task comes from the label of the
 * ingest step(s) the evaluate step depends on, directly or through other steps. Pure.
 */
import { labelTask, type LabelSpec, type Task } from './label-spec';
import { COMPARISONS_BY_TASK, METRICS_BY_TASK } from './task-metrics';

interface StepLike {
  id: string;
  kind: string;
  dependsOn?: string[];
  with?: unknown;
}

/**
 * Problems, one line each with its JSON path. `rawWith[i]` is step i's `with` as written (before
 * defaults), so a metric the schema defaulted is never blamed on the user.
 */
export function taskProblems(steps: readonly StepLike[], rawWith: readonly unknown[], specLabel: string): string[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const problems: string[] = [];
  steps.forEach((step, i) => {
    if (step.kind !== 'evaluate') return;
    const tasks = new Set(ingestAncestors(step, byId).map((s) => labelTask(((s.with ?? {}) as { label?: LabelSpec }).label ?? {})));
    if (tasks.size !== 1) return;
    const [task] = tasks;
    // An ingest step whose own parameters were refused is reported there.
    if (!Object.hasOwn(METRICS_BY_TASK, task)) return;
    const raw = (rawWith[i] ?? {}) as { primaryMetric?: unknown; gates?: unknown; comparison?: unknown; recent?: unknown };
    const at = `${specLabel}.steps[${i}].with`;
    const allowed = METRICS_BY_TASK[task];
    if (typeof raw.primaryMetric === 'string' && !allowed.includes(raw.primaryMetric as never)) {
      problems.push(refusal(`${at}.primaryMetric`, raw.primaryMetric, task, allowed));
    }
    if (Array.isArray(raw.gates)) {
      raw.gates.forEach((gate: unknown, g) => {
        const metric = (gate as { metric?: unknown } | null)?.metric;
        if (typeof metric === 'string' && !allowed.includes(metric as never)) problems.push(refusal(`${at}.gates[${g}].metric`, metric, task, allowed));
      });
    }
    const comparison = (raw.comparison as { metric?: unknown } | null | undefined)?.metric;
    if (typeof comparison === 'string' && !COMPARISONS_BY_TASK[task].includes(comparison as never)) {
      problems.push(refusal(`${at}.comparison.metric`, comparison, task, COMPARISONS_BY_TASK[task]));
    }
    const recent = (raw.recent as { comparison?: { metric?: unknown } | null } | null | undefined)?.comparison?.metric;
    if (typeof recent === 'string' && !COMPARISONS_BY_TASK[task].includes(recent as never)) {
      problems.push(refusal(`${at}.recent.comparison.metric`, recent, task, COMPARISONS_BY_TASK[task]));
    }
    const stratify = (raw.comparison as { stratify?: unknown } | null | undefined)?.stratify;
    if (stratify !== undefined && task !== 'binary') {
      problems.push(`${at}.comparison.stratify: compares AUCs within days, which needs a binary label (the label's task is ${task}); remove stratify`);
    }
  });
  return problems;
}

function refusal(path: string, metric: string, task: Task, allowed: readonly string[]): string {
  return `${path}: "${metric}" is not a ${task} metric (the label's task is ${task}); use one of ${allowed.join(', ')}`;
}

/** The ingest steps `step` depends on, transitively. */
function ingestAncestors(step: StepLike, byId: Map<string, StepLike>): StepLike[] {
  const seen = new Set<string>();
  const found: StepLike[] = [];
  const queue = [...(step.dependsOn ?? [])];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const s = byId.get(id);
    if (!s) continue;
    if (s.kind === 'ingest') found.push(s);
    queue.push(...(s.dependsOn ?? []));
  }
  return found;
}
