import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DOCS, type ErrorCode } from './error-codes';
import * as errors from './errors';

type ErrorClass = new (...args: never[]) => errors.SlipwayError;

// Every exported class deriving from SlipwayError; each is built with one argument (message or problem list).
const classes = (Object.values(errors) as unknown[]).filter(
  (v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof errors.SlipwayError,
);
const instances = classes.map((C) => new (C as unknown as new (arg: unknown) => errors.SlipwayError)(['something is wrong']));
const codes = Object.keys(ERROR_DOCS) as ErrorCode[];

describe('error-code registry', () => {
  it('maps each code to itself, so failure types are the code names', () => {
    for (const code of codes) expect(ERROR_CODES[code]).toBe(code);
  });

  it.each(codes)('%s has exactly one error class, named after the code', (code) => {
    const owners = instances.filter((e) => e.code === code);
    expect(owners.map((e) => e.constructor.name)).toHaveLength(1);
    expect(owners[0].name).toBe(code);
  });

  it('has no error class whose code is missing from the registry or shared with another class', () => {
    const classCodes = instances.map((e) => e.code);
    expect(new Set(classCodes).size).toBe(classCodes.length);
    for (const code of classCodes) expect(codes).toContain(code);
  });

  it.each(codes)('%s is documented in the README error-code table, with the registry text', (code) => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'));
    expect(section).toContain(`| \`${code}\` | ${ERROR_DOCS[code]} |`);
  });
});
