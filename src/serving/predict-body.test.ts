import { describe, expect, it } from 'vitest';
import { parsePredictBody } from './predict-body';

describe('parsePredictBody', () => {
  it.each([
    [{ row: { a: 1, b: 'x', c: null, d: true } }, 1],
    [{ rows: [{ a: 1 }, { a: 2 }], routingKey: 'k' }, 2],
  ])('accepts %j', (body, rows) => {
    expect(parsePredictBody(body, 10)).toMatchObject({ ok: true, rows: { length: rows } });
  });

  it.each([
    [null, 'body: send a JSON object'],
    [[], 'body: send a JSON object'],
    [{}, 'body: send exactly one of "row" (one feature object) or "rows" (an array of them)'],
    [{ row: {}, rows: [{}] }, 'body: send exactly one of "row" (one feature object) or "rows" (an array of them)'],
    [{ row: [1] }, 'body.row: a feature object, e.g. {"distance": 740, "origin": "ORD"}'],
    [{ row: { a: { nested: 1 } } }, 'body.row.a: a number, string, boolean or null'],
    [{ rows: [] }, 'body.rows: an array of 1 to 10 feature objects'],
    [{ rows: Array(11).fill({}) }, 'body.rows: an array of 1 to 10 feature objects'],
    [{ rows: [{ a: 1 }, { b: [2] }] }, 'body.rows.1.b: a number, string, boolean or null'],
    [{ row: {}, routingKey: '' }, 'body.routingKey: a string of 1 to 256 characters'],
  ])('refuses %j naming the problem', (body, problem) => {
    expect(parsePredictBody(body, 10)).toEqual({ ok: false, problems: [problem] });
  });
});
