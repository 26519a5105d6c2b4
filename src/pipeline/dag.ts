/**
 * DAG checks and scheduling order. Pure: used by spec validation (Node side) and by the
 * workflow to decide which steps may start.
 */

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

/** Problems with the graph: duplicate ids, unknown dependencies, self-dependencies and cycles. */
export function dagProblems(nodes: readonly DagNode[], pathPrefix = 'steps'): string[] {
  const problems: string[] = [];
  const index = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (index.has(node.id)) {
      problems.push(`${pathPrefix}[${i}].id: duplicate step id "${node.id}" (also steps[${index.get(node.id)}])`);
    } else {
      index.set(node.id, i);
    }
  });
  nodes.forEach((node, i) => {
    node.dependsOn.forEach((dep, j) => {
      if (dep === node.id) problems.push(`${pathPrefix}[${i}].dependsOn[${j}]: step "${node.id}" depends on itself`);
      else if (!index.has(dep)) problems.push(`${pathPrefix}[${i}].dependsOn[${j}]: unknown step "${dep}"`);
    });
  });
  for (const cycle of findCycles(nodes)) {
    problems.push(`${pathPrefix}: dependency cycle ${cycle.join(' -> ')}`);
  }
  return problems;
}

/** Every distinct cycle, each as a path that returns to its first node. */
function findCycles(nodes: readonly DagNode[]): string[][] {
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn.filter((d) => d !== n.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      if (state.get(dep) === 'visiting') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const n of nodes) if (!state.has(n.id)) visit(n.id);
  return cycles;
}

/** Ids in an order where every step comes after its dependencies (stable: spec order breaks ties). */
export function topologicalOrder(nodes: readonly DagNode[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < nodes.length) {
    const next = nodes.find((n) => !done.has(n.id) && n.dependsOn.every((d) => done.has(d)));
    if (!next) throw new Error('topologicalOrder: graph has a cycle or unknown dependency');
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

/** All steps a step depends on, directly or through others. */
export function ancestors(nodes: readonly DagNode[], id: string): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const walk = (current: string): void => {
    for (const dep of byId.get(current)?.dependsOn ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        walk(dep);
      }
    }
  };
  walk(id);
  return topologicalOrder(nodes).filter((n) => seen.has(n));
}
