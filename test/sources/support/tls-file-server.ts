/**
 * A real HTTPS file server for remote-source tests: a CA and a server certificate made with the
 * openssl command line (the CA is trusted by nothing on this machine), Range and HEAD support as
 * object stores have, an ETag per content, and a log of every request it saw.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import path from 'node:path';

export interface TlsFileServer {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** The CA's certificate (PEM file) that signed the server's. */
  caFile: string;
  /** Serves `body` at `urlPath`; `status` other than 200 answers with `body` as an error page. */
  put(urlPath: string, body: Buffer, status?: number): void;
  /** Every request so far, as `METHOD /path`. */
  requests: string[];
  close(): Promise<void>;
}

/** Makes a self-signed CA and a certificate for 127.0.0.1 and localhost in `dir`. */
export async function makeCertificates(dir: string): Promise<{ caFile: string; keyFile: string; certFile: string }> {
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=slipway-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  await writeFile(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  return { caFile: f('ca.pem'), keyFile: f('server.key'), certFile: f('server.pem') };
}

export async function startTlsFileServer(dir: string): Promise<TlsFileServer> {
  const certs = await makeCertificates(dir);
  const files = new Map<string, { body: Buffer; status: number; etag: string }>();
  const requests: string[] = [];
  const server: Server = createServer({ key: await readFile(certs.keyFile), cert: await readFile(certs.certFile) }, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const file = files.get(new URL(req.url ?? '/', 'https://x').pathname);
    if (!file) return void res.writeHead(404).end();
    if (file.status !== 200) return void res.writeHead(file.status, { 'content-type': 'text/plain' }).end(file.body);
    const headers = { etag: file.etag, 'last-modified': 'Thu, 01 Mar 2001 00:00:00 GMT', 'accept-ranges': 'bytes' };
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const [start, end] = range ? [Number(range[1]), range[2] ? Number(range[2]) : file.body.length - 1] : [0, file.body.length - 1];
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': end - start + 1,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${file.body.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : file.body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `https://127.0.0.1:${port}`,
    caFile: certs.caFile,
    requests,
    put(urlPath, body, status = 200) {
      files.set(urlPath, { body, status, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
