/**
 * A lean JSON-over-HTTP client for the replay tool and the benchmark: keep-alive sockets
 * through one agent and no per-request allocations beyond the body, so a client sending
 * a thousand requests a second measures the server rather than itself.
 */
import http from 'node:http';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export function createAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

/** Sends `body` as JSON (POST unless told; no body when undefined); rejects only on network errors, never on a status. */
export function sendJson(agent: http.Agent, url: URL, body: unknown, options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<JsonResponse> {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        agent,
        method: options.method ?? 'POST',
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'content-length': payload.length, ...options.headers },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
