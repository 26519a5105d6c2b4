import { describe, expect, it } from 'vitest';
import { fromCloudEvent, fromNdjson, KSERVE_REQUEST, KSERVE_RESPONSE } from './external-logs';
import { parseSampleRates, sampleRate } from './sample-rates';

const ctx = { model: 'delays', source: 'kserve-east', now: Date.parse('2026-12-01T00:00:00Z') };

describe('KServe payload-logger events', () => {
  it('turns a V1 request into one feature half-row per instance, and a response into prediction halves', () => {
    const req = fromCloudEvent({ id: 'a', type: KSERVE_REQUEST, time: '2026-12-01T10:00:00Z', data: { instances: [{ x: 1 }, { x: 2 }] } }, ctx, 10);
    expect(req).toEqual({
      ok: true,
      records: [0, 1].map((row) => ({ requestId: 'a', row, servedAt: Date.parse('2026-12-01T10:00:00Z'), model: 'delays', version: null, protocol: 'kserve-cloudevents', source: 'kserve-east', features: { x: row + 1 } })),
    });
    const res = fromCloudEvent({ id: 'a', type: KSERVE_RESPONSE, data: { predictions: [0.2, 0.9] } }, ctx, 10);
    expect(res.ok && res.records.map((r) => [r.row, r.prediction, r.servedAt])).toEqual([[0, 0.2, ctx.now], [1, 0.9, ctx.now]]);
  });

  it('reads Open Inference Protocol tensors as columns: one per [n]/[n,1] tensor, name_j for [n,k]', () => {
    const out = fromCloudEvent({ id: 'b', type: KSERVE_REQUEST, data: { inputs: [{ name: 'd', shape: [2, 1], datatype: 'FP32', data: [1, 2] }, { name: 'v', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3, 4]] }] } }, ctx, 10);
    expect(out.ok && out.records.map((r) => r.features)).toEqual([{ d: 1, v_0: 1, v_1: 2 }, { d: 2, v_0: 3, v_1: 4 }]);
  });

  it.each([
    [{ id: '', type: KSERVE_REQUEST, data: { instances: [{}] } }, /ce-id: required/],
    [{ id: 'x', type: 'com.example', data: { instances: [{}] } }, /ce-type: "com.example" is not/],
    [{ id: 'x', type: KSERVE_REQUEST, time: 'yesterday', data: { instances: [{}] } }, /ce-time: "yesterday"/],
    [{ id: 'x', type: KSERVE_REQUEST, data: { rows: [] } }, /needs "instances"/],
    [{ id: 'x', type: KSERVE_RESPONSE, data: { predictions: Array(11).fill(0) } }, /11 rows; a log event carries 1 to 10/],
    [{ id: 'x', type: KSERVE_REQUEST, data: { inputs: [{ name: 'd', shape: [3], data: [1, 2] }] } }, /shape \[3\] does not match 2 values/],
  ])('refuses %j naming what is wrong', (event, message) => {
    const out = fromCloudEvent(event, ctx, 10);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toMatch(message);
  });
});

describe('NDJSON prediction logs', () => {
  it('reads one row per line, with defaults for row, time and version', () => {
    const out = fromNdjson('{"requestId":"r","features":{"x":1},"prediction":0.5}\n\n{"requestId":"r","row":1,"time":5,"version":2,"label":1}\n', ctx, 10);
    expect(out).toEqual({
      ok: true,
      records: [
        { requestId: 'r', row: 0, servedAt: ctx.now, model: 'delays', version: null, protocol: 'ndjson', source: 'kserve-east', features: { x: 1 }, prediction: 0.5 },
        { requestId: 'r', row: 1, servedAt: 5, model: 'delays', version: 2, protocol: 'ndjson', source: 'kserve-east', label: 1 },
      ],
    });
  });

  it.each([
    ['not json', /line 1: not JSON/],
    ['{"requestId":"r"}', /line 1: send at least one of/],
    ['{"requestId":"r","label":1}\n{"label":1}', /line 2: "requestId"/],
    ['{"requestId":"r","row":-1,"label":1}', /"row": -1 is not a row index/],
    ['{"requestId":"r","time":"soon","label":1}', /"time": "soon"/],
    ['{"requestId":"r","features":[1]}', /"features": expected an object/],
    ['', /no lines/],
  ])('refuses %j as a whole', (text, message) => {
    const out = fromNdjson(text, ctx, 10);
    expect(!out.ok && out.error).toMatch(message);
  });
});

describe('sample rates', () => {
  it('parses a default and per-model rates, and logs everything during a canary unless the rate is 0', () => {
    const rates = parseSampleRates('0.1, delays=1, churn=0');
    expect(sampleRate(rates, 'other', false)).toBe(0.1);
    expect(sampleRate(rates, 'other', true)).toBe(1);
    expect(sampleRate(rates, 'delays', false)).toBe(1);
    expect(sampleRate(rates, 'churn', true)).toBe(0);
    expect(parseSampleRates('').defaultRate).toBe(0.05);
  });

  it.each([['1.5', /"1.5" is not a rate/], ['delays=', /"delays=" is not a rate/], ['=0.5', /names no model/], ['x', /"x" is not a rate/]])('refuses %j', (value, message) => {
    expect(() => parseSampleRates(value)).toThrow(message);
  });
});
