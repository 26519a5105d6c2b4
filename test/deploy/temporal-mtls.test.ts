/**
 * Temporal Cloud's mTLS path, end to end: the worker and the client connect with nothing but
 * Temporal's own TEMPORAL_TLS_* variables (read by src/config.ts through envconfig), through a
 * TLS endpoint that demands a client certificate signed by our CA, as Temporal Cloud does. The
 * dev server has no TLS, so a Node TLS terminator (ALPN h2) sits in front of it; the certificates
 * are made by openssl for this test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../../src/client/connect';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createWorker } from '../../src/worker';
import type { PipelineResult } from '../../src/workflows/pipeline-status';
import { startDevServer } from '../helpers/temporal-env';

const SERVER_NAME = 'temporal.slipway.test';

/** A CA, a server certificate for SERVER_NAME and a client certificate, all signed by the CA (P-256 keys). */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  key('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=slipway test CA');
  for (const [name, cn, ext] of [
    ['server', SERVER_NAME, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\n`],
    ['client', 'slipway-worker', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    key(name);
    await writeFile(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\n${ext}`);
    openssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

interface Terminator {
  port: number;
  /** Common names of the client certificates of connections that got through. */
  clients: string[];
  /** Handshakes refused (no or wrong client certificate). */
  refused: number;
  close(): Promise<void>;
}

/** TLS in front of the dev server's plain gRPC port, requiring a client certificate from our CA. */
async function startTerminator(dir: string, upstream: { host: string; port: number }): Promise<Terminator> {
  const [key, cert, ca] = await Promise.all(['server.key', 'server.pem', 'ca.pem'].map((f) => readFile(path.join(dir, f))));
  const state = { clients: [] as string[], refused: 0 };
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] }, (socket) => {
    state.clients.push(String(socket.getPeerCertificate().subject?.CN));
    const backend = net.connect(upstream.port, upstream.host);
    sockets.add(socket).add(backend);
    socket.pipe(backend).pipe(socket);
    const end = () => {
      socket.destroy();
      backend.destroy();
    };
    socket.on('error', end).on('close', end);
    backend.on('error', end).on('close', end);
  });
  server.on('tlsClientError', () => state.refused++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get clients() {
      return state.clients;
    },
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connecting to Temporal over mTLS with TEMPORAL_TLS_* variables', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  let terminator: Terminator;
  let tlsEnv: Record<string, string>;

  beforeAll(async () => {
    env = await startDevServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-mtls-'));
    await makeCertificates(dir);
    const [host, port] = env.address.split(':');
    terminator = await startTerminator(dir, { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port) });
    tlsEnv = {
      TEMPORAL_ADDRESS: `127.0.0.1:${terminator.port}`,
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
      SLIPWAY_DATA_DIR: path.join(dir, 'data'),
      SLIPWAY_TASK_QUEUE: 'mtls',
      SLIPWAY_LOG_LEVEL: 'error',
    };
  }, 120_000);

  afterAll(async () => {
    await terminator?.close();
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a pipeline with the worker and the client both on the mTLS endpoint', async () => {
    const config = loadConfig(tlsEnv);
    expect(config.temporal.connection).toMatchObject({ address: `127.0.0.1:${terminator.port}`, tls: { serverNameOverride: SERVER_NAME } });
    const connection = await NativeConnection.connect(config.temporal.connection);
    const slipway = await createWorker(config, connection, createLogger('error'));
    const client = await connectClient(config);
    try {
      const spec = { name: 'mtls', model: 'mtls', steps: [{ id: 'a', kind: 'noop' }, { id: 'b', kind: 'noop', dependsOn: ['a'] }] };
      const result = (await slipway.worker.runUntil(
        client.workflow.execute('pipeline', { taskQueue: config.taskQueue, workflowId: `mtls-${Date.now()}`, args: [{ spec }] }),
      )) as PipelineResult;
      expect(result.steps.map((s) => s.state)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await client.connection.close();
      await slipway.close();
      await connection.close();
    }
    // Both the worker's native connection and the client's came through with our client certificate.
    expect(terminator.clients.length).toBeGreaterThanOrEqual(2);
    expect(new Set(terminator.clients)).toEqual(new Set(['slipway-worker']));
  }, 120_000);

  it('is refused without a client certificate, and with a server name the certificate does not carry', async () => {
    const refusedBefore = terminator.refused;
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _cert, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...withoutClientCert } = tlsEnv;
    await expect(connectClient(loadConfig(withoutClientCert)).then((c) => c.connection.ensureConnected())).rejects.toThrow();
    expect(terminator.refused).toBeGreaterThan(refusedBefore);

    const wrongName = loadConfig({ ...tlsEnv, TEMPORAL_TLS_SERVER_NAME: 'elsewhere.example' });
    await expect(NativeConnection.connect(wrongName.temporal.connection)).rejects.toThrow();
  }, 120_000);
});
