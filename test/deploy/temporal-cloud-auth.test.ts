/**
 * Temporal Cloud's two ways in, end to end: the worker and the client connect with nothing but
 * Temporal's own variables (TEMPORAL_TLS_* or TEMPORAL_API_KEY, read by src/config.ts through
 * envconfig) to an endpoint that checks them as Temporal Cloud does: a TLS terminator demanding
 * a client certificate signed by our CA, and an HTTP/2 gateway demanding `authorization: Bearer
 * <key>` on every gRPC call. The dev server has neither, so they sit in front of it; the
 * certificates are made by openssl for this test.
 */
import http2 from 'node:http2';
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

/** An error's message with those of its causes. */
const messages = (err: unknown): string => {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) parts.push(String(e.message ?? e));
  return parts.join(' <- ');
};

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

/** The dev server's gRPC address as host and port (IPv4 loopback for `localhost`), for the endpoints in front of it. */
function upstreamOf(env: TestWorkflowEnvironment): { host: string; port: number } {
  const [host, port] = env.address.split(':');
  return { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port) };
}

/**
 * Connects a Slipway worker and a client with `config` alone, runs a pipeline of `steps`
 * no-op steps through them and answers each step's state.
 */
async function runNoopPipeline(config: ReturnType<typeof loadConfig>, steps: number): Promise<string[]> {
  const connection = await NativeConnection.connect(config.temporal.connection);
  const slipway = await createWorker(config, connection, createLogger('error'));
  const client = await connectClient(config);
  try {
    const spec = {
      name: config.taskQueue,
      model: config.taskQueue,
      steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, kind: 'noop', ...(i > 0 && { dependsOn: [`s${i - 1}`] }) })),
    };
    const result = (await slipway.worker.runUntil(
      client.workflow.execute('pipeline', { taskQueue: config.taskQueue, workflowId: `${config.taskQueue}-${Date.now()}`, args: [{ spec }] }),
    )) as PipelineResult;
    return result.steps.map((s) => s.state);
  } finally {
    await client.connection.close();
    await slipway.close();
    await connection.close();
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

interface Gateway {
  port: number;
  /** gRPC methods let through, and refused for a missing or wrong key. */
  passed: string[];
  refused: string[];
  close(): Promise<void>;
}

/**
 * A gRPC gateway over TLS (ALPN h2) that lets a call through to the dev server only with
 * `authorization: Bearer <apiKey>`, answering UNAUTHENTICATED (gRPC status 16) otherwise.
 */
async function startApiKeyGateway(dir: string, apiKey: string, upstream: string): Promise<Gateway> {
  const [key, cert] = await Promise.all(['server.key', 'server.pem'].map((f) => readFile(path.join(dir, f))));
  const backend = http2.connect(`http://${upstream}`);
  const passed: string[] = [];
  const refused: string[] = [];
  const server = http2.createSecureServer({ key, cert, allowHTTP1: false });
  server.on('stream', (stream, headers) => {
    const method = String(headers[':path']);
    if (headers.authorization !== `Bearer ${apiKey}`) {
      refused.push(method);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'API key missing or not valid' }, { endStream: true });
      return;
    }
    passed.push(method);
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':') || name === ':path' || name === ':method'));
    const call = backend.request({ ...forwarded, ':authority': upstream, ':scheme': 'http' });
    call.on('response', (responseHeaders) => {
      const { ':status': status, ...rest } = responseHeaders;
      stream.respond({ ':status': status, ...rest }, { waitForTrailers: true });
      call.pipe(stream);
    });
    let trailers: http2.OutgoingHttpHeaders = {};
    call.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(call);
    call.on('error', () => stream.destroy());
    stream.on('error', () => call.destroy());
    stream.on('close', () => call.close());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    passed,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        backend.destroy();
        server.close(() => resolve());
        // Open sessions would hold close() forever.
        setTimeout(resolve, 1000).unref();
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
    terminator = await startTerminator(dir, upstreamOf(env));
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
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('runs a pipeline with the worker and the client both on the mTLS endpoint', async () => {
    const config = loadConfig(tlsEnv);
    expect(config.temporal.connection).toMatchObject({ address: `127.0.0.1:${terminator.port}`, tls: { serverNameOverride: SERVER_NAME } });
    expect(await runNoopPipeline(config, 2)).toEqual(['succeeded', 'succeeded']);
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

describe('connecting to Temporal with TEMPORAL_API_KEY', () => {
  const API_KEY = 'slipway-test-key-7f3a';
  let env: TestWorkflowEnvironment;
  let dir: string;
  let gateway: Gateway;
  let keyEnv: Record<string, string>;

  beforeAll(async () => {
    env = await startDevServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'slipway-apikey-'));
    await makeCertificates(dir);
    const { host, port } = upstreamOf(env);
    gateway = await startApiKeyGateway(dir, API_KEY, `${host}:${port}`);
    keyEnv = {
      TEMPORAL_ADDRESS: `127.0.0.1:${gateway.port}`,
      TEMPORAL_API_KEY: API_KEY,
      // Temporal Cloud's certificate is signed by a public CA; ours needs naming.
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
      SLIPWAY_DATA_DIR: path.join(dir, 'data'),
      SLIPWAY_TASK_QUEUE: 'apikey',
      SLIPWAY_LOG_LEVEL: 'error',
    };
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('runs a pipeline with the worker and the client sending the key on every call', async () => {
    const config = loadConfig(keyEnv);
    expect(config.temporal.connection).toMatchObject({ apiKey: API_KEY });
    expect(await runNoopPipeline(config, 1)).toEqual(['succeeded']);
    expect(gateway.passed).toEqual(expect.arrayContaining([
      '/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution',
      '/temporal.api.workflowservice.v1.WorkflowService/PollWorkflowTaskQueue',
      '/temporal.api.workflowservice.v1.WorkflowService/RespondActivityTaskCompleted',
    ]));
    expect(gateway.refused).toEqual([]);
  }, 120_000);

  it('is refused with a wrong key, naming the reason', async () => {
    const wrong = loadConfig({ ...keyEnv, TEMPORAL_API_KEY: 'not-the-key' });
    const refusedBefore = gateway.refused.length;
    const attempt = async () => {
      const client = await connectClient(wrong);
      try {
        await client.workflow.start('pipeline', { taskQueue: 'apikey', workflowId: 'never', args: [{ pipeline: 'x' }] });
      } finally {
        await client.connection.close();
      }
    };
    // The error says it could not connect, and why: the server's UNAUTHENTICATED answer.
    const clientErr = await attempt().then(() => undefined, (e: unknown) => e);
    expect(messages(clientErr)).toMatch(/Failed to connect[\s\S]*API key missing or not valid/);
    expect(gateway.refused.length).toBeGreaterThan(refusedBefore);
    const workerErr = await NativeConnection.connect(wrong.temporal.connection).then(() => undefined, (e: unknown) => e);
    expect(messages(workerErr)).toMatch(/API key missing or not valid/);
  }, 120_000);
});
