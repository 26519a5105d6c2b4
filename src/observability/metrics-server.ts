/**
 * The worker's Prometheus endpoint: `GET /metrics` answers Slipway's metrics followed by the
 * Temporal SDK's own (fetched from the Core runtime's exporter on loopback, see sdk-telemetry.ts),
 * so one scrape target per worker process covers both. `GET /healthz` answers 200 while the
 * process is up.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  registry: Registry;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The SDK exporter's URL (`http://127.0.0.1:<port>/metrics`); omitted when the runtime exports none. */
  sdkMetricsUrl?: string;
  logger: Logger;
}

export interface MetricsServer {
  /** `http://<host>:<port>` actually bound. */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      return;
    }
    void scrape(o).then(
      (body) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(body),
      (err: unknown) => {
        o.logger.warn({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function scrape(o: MetricsServerOptions): Promise<string> {
  const own = await o.registry.metrics();
  if (!o.sdkMetricsUrl) return own;
  try {
    const res = await fetch(o.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
    // Our metrics still go out when the SDK exporter hiccups; Prometheus sees the SDK series gap.
    if (!res.ok) return own;
    return `${own}\n${await res.text()}`;
  } catch (err) {
    o.logger.debug({ err }, 'SDK metrics exporter did not answer');
    return own;
  }
}
