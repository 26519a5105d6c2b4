/**
 * Attack: crash or stall the API (and the worker's resolve step) with one request (issue 13,
 * item 6): thousands of steps, dense cyclic dependencies, repeated dependencies, deep nesting, a
 * body of megabytes. Each is refused with 400 (or 413 for a body over the API's limit) naming the
 * limit, quickly and with a small answer; nothing starts and nothing is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BODY_LIMIT } from '../../src/api/server';
import { workflowIdFor } from '../../src/client/slipway-client';
import { startStack, type Stack } from './support/trust-input-stack';

const step = (id: string, dependsOn: string[] = []) => ({ id, kind: 'noop', dependsOn });
const spec = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'bomb', model: 'bomb', steps, ...extra });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);

/** Nested objects `depth` levels deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

const BOMBS: Array<[string, () => unknown, RegExp]> = [
  ['2,000 steps', () => spec(ids(2000).map((id) => step(id))), /^input\.spec\.steps: at most 200 steps \(limit maxSteps\)/],
  ['65 dependencies on one step', () => spec([...ids(65).map((id) => step(id)), step('fan', ids(65))]), /dependsOn: at most 64 dependencies per step \(limit maxDependsOn\)/],
  ['a dependency listed twice', () => spec([step('a'), step('b', ['a', 'a'])]), /steps\[1\]\.dependsOn\[1\]: "a" is listed twice/],
  ['300 KiB of inline spec', () => spec([step('a')], { description: 'x'.repeat(300 * 1024) }), /^input: \d+ bytes, over the limit of 262144 bytes \(maxInputBytes\)|^input: larger than the limit of 262144 bytes/],
];

describe('attack: a spec bomb', () => {
  let s: Stack;

  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s?.close();
  });

  it.each(BOMBS)('the API refuses %s with 400 naming the limit, starting and recording nothing', async (name, bomb, problem) => {
    const before = await s.snapshot();
    const input = { spec: bomb() };
    const key = `bomb-${name.replace(/\W+/g, '-')}`;
    const res = await s.call('POST', '/v1/runs', { input, idempotencyKey: key });
    expect(res.status).toBe(400);
    expect((res.body.problems as string[]).some((p) => problem.test(p)), JSON.stringify(res.body.problems).slice(0, 500)).toBe(true);
    expect(await s.noWorkflow(workflowIdFor(input, key))).toBe(true);
    expect(await s.snapshot()).toEqual(before);
  });

  it('refuses 10,000 levels of nesting with 400 naming the limit (JSON.stringify itself would overflow on it)', async () => {
    const before = await s.snapshot();
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const body = `{"idempotencyKey":"bomb-deep","input":{"spec":{"name":"bomb","model":"bomb","steps":[{"id":"a","kind":"noop","with":{"deep":${deep}}}]}}}`;
    const res = await s.call('POST', '/v1/runs', body);
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual(['input: nested more than 32 levels deep (limit maxDepth 32); flatten the spec']);
    expect(await s.noWorkflow(workflowIdFor({ spec: {} }, 'bomb-deep'))).toBe(true);
    expect(await s.snapshot()).toEqual(before);
  });

  it('reports one cycle of a dense cyclic graph, not one per back-edge', async () => {
    // 150 steps, each depending on up to 60 earlier ones, and the first on the last: thousands of back-edges.
    const all = ids(150);
    const steps = all.map((id, i) => step(id, i === 0 ? [all[149]] : all.slice(Math.max(0, i - 60), i)));
    const res = await s.call('POST', '/v1/runs', { input: { spec: spec(steps) } });
    expect(res.status).toBe(400);
    const cycles = (res.body.problems as string[]).filter((p) => p.includes('dependency cycle'));
    expect(cycles).toHaveLength(1);
    expect(JSON.stringify(res.body).length).toBeLessThan(16 * 1024);
  });

  it('answers 413 to a body over the API limit without parsing it', async () => {
    const before = await s.snapshot();
    const body = JSON.stringify({ input: { spec: spec([step('a')], { description: 'x'.repeat(API_BODY_LIMIT) }) } });
    const res = await s.call('POST', '/v1/runs', body);
    expect(res.status).toBe(413);
    expect(await s.snapshot()).toEqual(before);
  });

  it('through Temporal directly, the resolve step refuses the bomb, and the worker goes on serving', async () => {
    const first = await s.mustFail({ spec: spec(ids(2000).map((id) => step(id))) });
    expect(first.failure.type).toBe('InvalidPipelineInput');
    expect(first.visible).toMatch(/at most 200 steps \(limit maxSteps\)/);
    const second = await s.mustFail({ spec: spec([{ ...step('a'), with: { deep: nested(1_000) } }]) });
    expect(second.visible).toMatch(/nested more than 32 levels deep/);
  });
});
