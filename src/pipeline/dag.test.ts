import { describe, expect, it } from 'vitest';
import { ancestors, dagProblems, topologicalOrder } from './dag';

const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('dagProblems', () => {
  it('accepts a diamond', () => {
    expect(dagProblems([node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c')])).toEqual([]);
  });

  it.each([
    ['an unknown dependency', [node('a'), node('b', 'x')], 'steps[1].dependsOn[0]: unknown step "x"'],
    ['a self-dependency', [node('a', 'a')], 'steps[0].dependsOn[0]: step "a" depends on itself'],
    ['a duplicate id', [node('a'), node('a')], 'steps[1].id: duplicate step id "a" (also steps[0])'],
    ['a cycle', [node('a', 'c'), node('b', 'a'), node('c', 'b')], 'steps: dependency cycle a -> c -> b -> a'],
    ['a repeated dependency', [node('a'), node('b', 'a', 'a')], 'steps[1].dependsOn[1]: "a" is listed twice (also dependsOn[0]); list each dependency once'],
  ])('reports %s with its path', (_name, nodes, expected) => {
    expect(dagProblems(nodes)).toContain(expected);
  });
});

describe('cycle detection', () => {
  it('reports one cycle, not one per back-edge', () => {
    // Every step depends on every earlier one and the first on the last: thousands of back-edges.
    const ids = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const nodes = ids.map((id, i) => ({ id, dependsOn: i === 0 ? [ids[199]] : ids.slice(0, i) }));
    const cycles = dagProblems(nodes).filter((p) => p.includes('dependency cycle'));
    expect(cycles).toHaveLength(1);
  });

  it('handles a chain longer than the call stack would allow recursively', () => {
    const nodes = Array.from({ length: 50_000 }, (_, i) => node(`s${i}`, ...(i === 0 ? [] : [`s${i - 1}`])));
    expect(dagProblems(nodes)).toEqual([]);
  });
});

describe('topologicalOrder', () => {
  it('puts every step after its dependencies and keeps spec order among peers', () => {
    expect(topologicalOrder([node('d', 'b', 'c'), node('c', 'a'), node('b', 'a'), node('a')])).toEqual(['a', 'c', 'b', 'd']);
  });
});

describe('ancestors', () => {
  it('lists direct and transitive dependencies in dependency order', () => {
    const nodes = [node('ingest'), node('validate', 'ingest'), node('train', 'validate'), node('evaluate', 'train'), node('other')];
    expect(ancestors(nodes, 'evaluate')).toEqual(['ingest', 'validate', 'train']);
    expect(ancestors(nodes, 'ingest')).toEqual([]);
  });
});
