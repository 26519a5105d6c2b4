/**
 * multipart/form-data (RFC 7578) as browsers send a form with a file input: just enough for the
 * console's spec upload, so the console needs no multipart dependency. Text fields and files
 * become one flat record (a file's text under its field name, its file name under
 * `<name>.filename`), the shape the console's urlencoded parser gives, so the CSRF check and
 * the handlers read both alike. Every limit failure is a 400 naming the limit.
 */

/** Parts per request; the start form has five. */
const MAX_PARTS = 20;
const MAX_HEADER_BYTES = 2048;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The parsed form; see the module comment. */
export type FormFields = Record<string, string>;

/** Thrown for a body that is not well-formed multipart; `statusCode` 400 for fastify. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
  readonly statusCode = 400;
}

/** The boundary of a `multipart/form-data; boundary=...` content type. */
export function boundaryOf(contentType: string | undefined): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError('The form upload has no multipart boundary; send it from the console page');
  return boundary;
}

export function parseMultipart(body: Buffer, contentType: string | undefined): FormFields {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const fields: FormFields = {};
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('The form upload is not multipart/form-data: its boundary never appears');
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return fields;
    if (parts >= MAX_PARTS) throw new MultipartError(`The form upload has more than ${MAX_PARTS} parts`);
    if (!body.subarray(at, at + 2).equals(CRLF)) throw new MultipartError('The form upload is malformed: a boundary is not followed by a line break');
    const headerEnd = body.indexOf(HEADER_END, at + 2);
    if (headerEnd < 0 || headerEnd - at > MAX_HEADER_BYTES) throw new MultipartError('The form upload is malformed: a part has no end of headers');
    const { name, filename } = disposition(body.subarray(at + 2, headerEnd).toString('utf8'));
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headerEnd + 4);
    if (next < 0) throw new MultipartError('The form upload is truncated: its closing boundary is missing');
    const content = body.subarray(headerEnd + 4, next);
    if (filename !== undefined) {
      const text = content.toString('utf8');
      // A binary file decodes with replacement characters; a spec is text.
      if (text.includes('\uFFFD')) throw new MultipartError(`${name}: the file ${JSON.stringify(filename)} is not UTF-8 text`);
      fields[`${name}.filename`] = filename;
      fields[name] = text;
    } else {
      fields[name] = content.toString('utf8');
    }
    at = next + CRLF.length;
  }
}

/** `name` and `filename` of a part's Content-Disposition header. */
function disposition(headers: string): { name: string; filename?: string } {
  const line = headers.split('\r\n').find((h) => /^content-disposition:/i.test(h));
  if (!line || !/:\s*form-data\s*(;|$)/i.test(line)) throw new MultipartError('The form upload is malformed: a part is not form-data');
  const param = (key: string) => {
    const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(line);
    // Browsers percent-encode quotes and line breaks in names (WHATWG HTML); decode only those.
    return m?.[1].replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
  };
  const name = param('name');
  if (!name) throw new MultipartError('The form upload is malformed: a part has no field name');
  return { name, filename: param('filename') };
}
