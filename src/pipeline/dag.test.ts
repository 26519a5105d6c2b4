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
  ])('reports %s with its path', (_name, nodes, expected) => {
    expect(dagProblems(nodes)).toContain(expected);
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
