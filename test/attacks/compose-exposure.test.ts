/**
 * Attack: reach Temporal directly (issue 13, item 8). Whoever reaches Temporal's gRPC port or its
 * Web UI can start any workflow and send any update, past Slipway's roles and audit log. The
 * compose file and the local dev-server script publish them on the loopback interface only, and
 * the README says plainly why. (No Docker engine here: the files are checked, not run.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const services = (parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { ports?: string[] }> }).services;

describe('attack: Temporal reachable from the network', () => {
  it.each(['temporal', 'temporal-ui'])('compose publishes %s on 127.0.0.1 only', (name) => {
    const ports = services[name].ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    for (const mapping of ports) expect(mapping).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('the dev-server script binds the gRPC port and the UI to 127.0.0.1', () => {
    expect(read('scripts/dev-server.sh')).toMatch(/server start-dev \\\n\s+--ip 127\.0\.0\.1 \\/);
  });

  it('the README and docs/production.md say who can start workflows, and how to close the door', () => {
    expect(read('README.md')).toMatch(/Whoever can reach Temporal can start workflows/);
    const production = read('docs/production.md');
    expect(production).toMatch(/## Securing Temporal/);
    expect(production).toMatch(/requireClientAuth: true/);
    expect(production).toMatch(/TEMPORAL_AUTH_ENABLED: "true"/);
    expect(production).toMatch(/TEMPORAL_AUTH_TYPE: oidc/);
  });
});
