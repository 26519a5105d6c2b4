import { describe, expect, it } from 'vitest';
import { LabelQuota } from './label-quota';

describe('LabelQuota', () => {
  it('grants up to the quota at once, all or nothing, per source', () => {
    const q = new LabelQuota(100);
    expect(q.take('a', 60, 0)).toBe(0);
    expect(q.take('a', 50, 0)).toBeGreaterThan(0);
    expect(q.take('a', 40, 0)).toBe(0);
    expect(q.take('b', 100, 0)).toBe(0);
  });

  it('refills at the quota a minute and says how long to wait', () => {
    const q = new LabelQuota(60);
    expect(q.take('a', 60, 0)).toBe(0);
    expect(q.take('a', 30, 0)).toBe(30);
    expect(q.take('a', 30, 30_000)).toBe(0);
    expect(q.take('a', 1, 30_000)).toBe(1);
  });

  it('never grants more than the quota in one request, and 0 disables it', () => {
    expect(new LabelQuota(10).take('a', 11, 0)).toBeGreaterThan(0);
    expect(new LabelQuota(0).take('a', 1e9, 0)).toBe(0);
  });

  it('gives back labels a request took but could not record, never above the quota', () => {
    const q = new LabelQuota(10);
    expect(q.take('a', 10, 0)).toBe(0);
    q.giveBack('a', 4);
    expect(q.take('a', 4, 0)).toBe(0);
    expect(q.take('a', 1, 0)).toBeGreaterThan(0);
    q.giveBack('a', 100);
    expect(q.take('a', 11, 0)).toBeGreaterThan(0);
    expect(q.take('a', 10, 0)).toBe(0);
  });
});
