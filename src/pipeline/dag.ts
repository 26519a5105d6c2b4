/**
 * DAG checks and scheduling order. Pure: used by spec validation (Node side) and by the
 * workflow to decide which steps may start.
 */

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

/**
 * Problems with the graph: duplicate ids, repeated or unknown dependencies, self-dependencies,
 * and one cycle (fixing it may reveal another; reporting every cycle can be exponential).
 * Linear in steps plus edges.
 */
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
    const seen = new Map<string, number>();
    node.dependsOn.forEach((dep, j) => {
      if (seen.has(dep)) problems.push(`${pathPrefix}[${i}].dependsOn[${j}]: "${dep}" is listed twice (also dependsOn[${seen.get(dep)}]); list each dependency once`);
      else if (dep === node.id) problems.push(`${pathPrefix}[${i}].dependsOn[${j}]: step "${node.id}" depends on itself`);
      else if (!index.has(dep)) problems.push(`${pathPrefix}[${i}].dependsOn[${j}]: unknown step "${dep}"`);
      seen.set(dep, seen.get(dep) ?? j);
    });
  });
  const cycle = findCycle(nodes);
  if (cycle) problems.push(`${pathPrefix}: dependency cycle ${cycle.join(' -> ')}`);
  return problems;
}

/**
 * The first cycle found, as a path that returns to its first node, or undefined. Iterative DFS
 * (no recursion depth limit) that visits each node and edge once and copies the stack only for
 * the one cycle it reports.
 */
function findCycle(nodes: readonly DagNode[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn.filter((d) => d !== n.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of nodes) {
    if (state.has(root.id)) continue;
    const path: string[] = [root.id];
    const next: number[] = [0];
    state.set(root.id, 'visiting');
    while (path.length > 0) {
      const id = path[path.length - 1];
      const edges = deps.get(id) ?? [];
      const k = next[next.length - 1]++;
      if (k >= edges.length) {
        state.set(id, 'done');
        path.pop();
        next.pop();
        continue;
      }
      const dep = edges[k];
      if (!deps.has(dep)) continue;
      if (state.get(dep) === 'visiting') return [...path.slice(path.indexOf(dep)), dep];
      if (!state.has(dep)) {
        state.set(dep, 'visiting');
        path.push(dep);
        next.push(0);
      }
    }
  }
  return undefined;
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
