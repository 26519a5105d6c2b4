import { describe, expect, it } from 'vitest';
import { parseMultipart } from './multipart';

const TYPE = 'multipart/form-data; boundary=----WebKitFormBoundaryX3';
const part = (name: string, value: string, filename?: string) =>
  `------WebKitFormBoundaryX3\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"\r\nContent-Type: application/x-yaml`}\r\n\r\n${value}\r\n`;
const form = (...parts: string[]) => Buffer.from(`${parts.join('')}------WebKitFormBoundaryX3--\r\n`);

describe('multipart/form-data', () => {
  it('reads text fields and a file, as Chromium sends them', () => {
    const spec = 'name: x\nsteps:\n  - id: a\r\n    kind: ingest\n';
    expect(parseMultipart(form(part('_csrf', 'tok'), part('pipeline', 'flight-delay'), part('specFile', spec, 'my spec.yaml'), part('spec', '')), TYPE)).toEqual({
      _csrf: 'tok',
      pipeline: 'flight-delay',
      'specFile.filename': 'my spec.yaml',
      specFile: spec,
      spec: '',
    });
  });

  it('keeps a boundary-like line inside a value, and an empty file input as an empty file', () => {
    expect(parseMultipart(form(part('a', '--not the boundary\r\nmore'), part('specFile', '', '')), TYPE)).toEqual({ a: '--not the boundary\r\nmore', specFile: '', 'specFile.filename': '' });
  });

  it('takes a quoted boundary', () => {
    expect(parseMultipart(form(part('a', '1')), 'multipart/form-data; boundary="----WebKitFormBoundaryX3"')).toEqual({ a: '1' });
  });

  it.each([
    ['no boundary parameter', form(part('a', '1')), 'multipart/form-data', 'has no multipart boundary'],
    ['a boundary that never appears', Buffer.from('hello'), TYPE, 'its boundary never appears'],
    ['a truncated body', Buffer.from(part('a', '1')), TYPE, 'closing boundary is missing'],
    ['a part without a name', form('------WebKitFormBoundaryX3\r\nContent-Disposition: form-data\r\n\r\nx\r\n'), TYPE, 'has no field name'],
    ['a binary file', Buffer.concat([Buffer.from(part('f', '', 'm.onnx').slice(0, -2)), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from('\r\n------WebKitFormBoundaryX3--')]), TYPE, 'is not UTF-8 text'],
    ['too many parts', form(...Array.from({ length: 21 }, (_, i) => part(`f${i}`, 'x'))), TYPE, 'more than 20 parts'],
  ])('refuses %s with a 400 that says why', (_case, body, type, why) => {
    expect(() => parseMultipart(body, type)).toThrow(expect.objectContaining({ statusCode: 400, message: expect.stringContaining(why) }));
  });
});
