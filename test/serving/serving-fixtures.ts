/**
 * Fixtures of the model-server tests: a temporary registry and artifact store, tiny ONNX
 * models over the flights features built straight from hand-set weights (no training, so
 * they are instant and their scores predictable), and a server listening on a real port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticTokenAuthenticator } from '../../src/auth/authenticator';
import { LocalArtifactStore } from '../../src/artifacts/local-artifact-store';
import type { ArtifactRef } from '../../src/pipeline/types';
import { SqliteModelRegistry } from '../../src/registry/sqlite-registry';
import { FileDeploymentStore } from '../../src/serving/file-deployment-store';
import { RegistryModelLoader } from '../../src/serving/model-loader';
import { buildModelServer, type ModelServer, type ModelServerDeps, type ServingLimits } from '../../src/serving/model-server';
import { exportLogisticRegressionOnnx } from '../../src/training/onnx-export';
import { FLIGHTS_FEATURES } from '../../src/data/flights-window';

/** The workers' service token: random, as the config's strength check requires of SLIPWAY_SERVE_ADMIN_TOKEN. */
export const ADMIN_TOKEN = randomBytes(32).toString('hex');
/** A label source's token (labeler role, every model), as SLIPWAY_SERVE_LABELER_TOKEN gives one; random like the admin token. */
export const LABELER_TOKEN = randomBytes(32).toString('hex');

/** Logit weights of a tiny flights model; omitted ones are 0. */
export interface TinyWeights {
  bias?: number;
  /** Per standardised unit of distance (mean 1000 miles, std 500). */
  distance?: number;
  /** Extra logit for flights from ORD. */
  ord?: number;
}

/** P(label = 1) of the tiny model for a row, computed in JavaScript. */
export function tinyScore(w: TinyWeights, row: { distance: number; origin: string }): number {
  const z = (w.bias ?? 0) + (w.distance ?? 0) * ((row.distance - 1000) / 500) + (row.origin === 'ORD' ? (w.ord ?? 0) : 0);
  return 1 / (1 + Math.exp(-z));
}

/** A model following the ONNX contract over hour, weekday, month, distance, origin, destination. */
export function tinyFlightsModel(w: TinyWeights): Uint8Array {
  return exportLogisticRegressionOnnx({
    features: FLIGHTS_FEATURES,
    encoding: {
      numeric: { hour: { mean: 12, std: 6 }, weekday: { mean: 4, std: 2 }, month: { mean: 6, std: 3 }, distance: { mean: 1000, std: 500 } },
      vocab: { origin: ['ORD', 'ATL'], destination: ['LAX', 'SFO'] },
    },
    model: { bias: w.bias ?? 0, numeric: [0, 0, 0, w.distance ?? 0], categorical: [[w.ord ?? 0, 0, 0], [0, 0, 0]] },
  });
}

export interface ServingWorld {
  dir: string;
  registry: SqliteModelRegistry;
  store: LocalArtifactStore;
  registryPath: string;
  artifactRoot: string;
  statePath: string;
  /** Registers the next version of `model` with these bytes; returns its number and artifact. */
  register(model: string, bytes: Uint8Array, extra?: { params?: Record<string, unknown>; tags?: Record<string, string> }): Promise<{ version: number; artifact: ArtifactRef }>;
  close(): Promise<void>;
}

export async function createServingWorld(): Promise<ServingWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-serving-'));
  const registryPath = join(dir, 'registry.sqlite');
  const artifactRoot = join(dir, 'artifacts');
  const registry = new SqliteModelRegistry({ path: registryPath });
  const store = new LocalArtifactStore({ root: artifactRoot });
  let n = 0;
  return {
    dir,
    registry,
    store,
    registryPath,
    artifactRoot,
    statePath: join(dir, 'serving', 'deployments.json'),
    async register(model, bytes, extra = {}) {
      const artifact = await store.putBytes(bytes, { name: 'model', mediaType: 'application/onnx' });
      const v = await registry.registerVersion({
        model,
        idempotencyKey: `test/${++n}`,
        artifact,
        metrics: {},
        params: extra.params ?? {},
        ...(extra.tags ? { tags: extra.tags } : {}),
        lineage: { dataDigest: 'd'.repeat(64), specDigest: 's'.repeat(64), workflowId: 'wf', runId: 'run', pipeline: 'test', trainer: 'hand-set' },
      });
      return { version: v.version, artifact };
    },
    async close() {
      await registry.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/** The environment of a model server process (`spawnServer`) over `world`, with the test admin token. */
export function serverProcessEnv(world: ServingWorld): Record<string, string> {
  return {
    SLIPWAY_DATA_DIR: world.dir,
    SLIPWAY_REGISTRY_PATH: world.registryPath,
    SLIPWAY_ARTIFACT_ROOT: world.artifactRoot,
    SLIPWAY_SERVE_STATE_PATH: world.statePath,
    SLIPWAY_SERVE_ADMIN_TOKEN: ADMIN_TOKEN,
  };
}

/** A model server over `world`, listening on 127.0.0.1 at a free port; `deps` overrides the test defaults. */
export async function startServer(world: ServingWorld, limits: Partial<ServingLimits> = {}, deps: Partial<ModelServerDeps> = {}): Promise<{ server: ModelServer; base: string }> {
  const server = await buildModelServer({
    loader: new RegistryModelLoader(world.registry, world.store),
    store: new FileDeploymentStore(world.statePath),
    adminAuthenticator: new StaticTokenAuthenticator([
      { name: 'test', token: ADMIN_TOKEN },
      { name: 'labeler', token: LABELER_TOKEN, roles: ['labeler'], grants: [{ model: '*', alias: '*' }] },
    ]),
    limits,
    processMetrics: false,
    ...deps,
  });
  const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, base };
}

/** A JSON HTTP call; `token` null sends no Authorization header. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // /metrics answers text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/**
 * A JSON HTTP call from a chosen local address (127.0.0.x on Linux loopback), so a test can
 * play several clients that differ by connection address, the key of the rate limit.
 */
export function callFrom(localAddress: string, base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  const url = new URL(path, base);
  const payload = body !== undefined ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress, agent: false, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A flights row as the replay tool and clients send it. */
export const flight = (distance: number, origin = 'ATL') => ({ hour: 9, weekday: 3, month: 3, distance, origin, destination: 'LAX' });
