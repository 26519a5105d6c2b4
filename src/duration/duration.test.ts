import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DURATION_PATTERN, DurationSyntaxError, toMs } from './duration';
import { durationSchema, durationWithin } from './duration-schema';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('toMs', () => {
  it.each([
    ['500ms', 500],
    ['250 milliseconds', 250],
    ['5s', 5 * SECOND],
    ['30 seconds', 30 * SECOND],
    ['1 second', SECOND],
    ['1.5 sec', 1_500],
    ['10m', 10 * MINUTE],
    ['30 minutes', 30 * MINUTE],
    ['1 minute', MINUTE],
    ['5 mins', 5 * MINUTE],
    ['12h', 12 * HOUR],
    ['1 hour', HOUR],
    ['24 hours', 24 * HOUR],
    ['2 hrs', 2 * HOUR],
    ['1 day', DAY],
    ['7 days', 7 * DAY],
    ['7d', 7 * DAY],
    ['2 weeks', 14 * DAY],
    ['1w', 7 * DAY],
    ['26 weeks', 182 * DAY],
    [' 7 days ', 7 * DAY],
  ])('reads %j as %d ms', (text, ms) => {
    expect(toMs(text)).toBe(ms);
  });

  it.each([
    ['6 months', /"months" varies in length/],
    ['1 mo', /"mo" varies in length/],
    ['1 year', /"year" varies in length/],
    ['2y', /"y" varies in length/],
    ['10', /the unit is missing/],
    ['a week', /expected a number followed by a unit/],
    ['5 fortnights', /unknown unit "fortnights"/],
    ['-5s', /expected a number followed by a unit/],
    ['1h30m', /expected a number followed by a unit/],
    ['7 Days', /unknown unit "Days" \(units are lowercase\)/],
    ['1 toString', /unknown unit "toString"/],
    ['', /expected a number followed by a unit/],
  ])('refuses %j, listing the accepted forms', (text, reason) => {
    expect(() => toMs(text)).toThrow(DurationSyntaxError);
    expect(() => toMs(text)).toThrow(reason);
    expect(() => toMs(text)).toThrow(/expected a number and a unit: ms, s .* "2 weeks"/);
  });
});

describe('durationSchema', () => {
  it('keeps the text the user wrote, so specs and histories stay as written', () => {
    expect(durationSchema.parse('10 minutes')).toBe('10 minutes');
  });

  it.each([['0s'], ['0 days']])('refuses the zero length %j', (text) => {
    expect(durationSchema.safeParse(text).error?.issues[0].message).toMatch(/must be longer than zero/);
  });

  it('names the bad value and the accepted forms', () => {
    expect(durationSchema.safeParse('6 months').error?.issues[0].message).toMatch(/^"6 months" is not a duration: .*expected a number and a unit/);
  });

  it('publishes the same grammar as a JSON Schema pattern', () => {
    const pattern = new RegExp(String((z.toJSONSchema(durationSchema) as { pattern?: string }).pattern));
    expect(String(pattern.source)).toBe(DURATION_PATTERN);
    for (const ok of ['5s', '10 minutes', '2 weeks']) expect(pattern.test(ok)).toBe(true);
    for (const bad of ['6 months', '10', 'a week']) expect(pattern.test(bad)).toBe(false);
  });
});

describe('durationWithin', () => {
  const retention = durationWithin({ min: '1h', max: '3650d' });

  it.each([['1h'], ['60 minutes'], ['30d'], ['3650 days']])('accepts %j, inside the bounds inclusive', (text) => {
    expect(retention.parse(text)).toBe(text);
  });

  it.each([
    ['59m', /^"59m" is shorter than the shortest allowed, 1h$/],
    ['3651d', /^"3651d" is longer than the longest allowed, 3650d$/],
    ['1 month', /^"1 month" is not a duration/],
  ])('refuses %j, naming the value and the bound', (text, message) => {
    expect(retention.safeParse(text).error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(message)]);
  });

  it('publishes the same pattern as any duration', () => {
    expect((z.toJSONSchema(retention) as { pattern?: string }).pattern).toBe(DURATION_PATTERN);
  });
});
