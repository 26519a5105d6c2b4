/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so this test keeps
 * them from rotting: every Slipway service's environment parses with the real config loader and
 * names only variables the code reads, published ports and health checks hit what the code
 * listens on, commands and copied paths exist, the copied code needs no dev dependency, every
 * task queue has a worker, and Temporal gets the search attributes the workflows upsert.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VAR_NAMES, loadConfig } from '../../src/config';
import { WORK_KINDS } from '../../src/topology/task-queues';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/workflows/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
/** Services running the Slipway image. */
const slipway = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** deploy/env.example as written: secrets left empty, so nobody deploys a published placeholder. */
const example = Object.fromEntries(
  read('deploy/env.example')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
/** The secrets an operator generates (`openssl rand -hex 32`). */
const SECRETS = ['SLIPWAY_SERVE_ADMIN_TOKEN', 'SLIPWAY_RUN_SIGNING_KEY', 'SLIPWAY_API_TOKENS'];
/** `${VAR:-default}` and `${VAR:?message}` as Compose resolves them, with env.example plus generated secrets as the .env file. */
const dotEnv: Record<string, string> = {
  ...example,
  SLIPWAY_SERVE_ADMIN_TOKEN: randomBytes(32).toString('hex'),
  SLIPWAY_RUN_SIGNING_KEY: randomBytes(48).toString('base64'),
  SLIPWAY_API_TOKENS: `admin:${randomBytes(32).toString('hex')}`,
};
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = dotEnv[name];
    if (v) return v;
    if (op === '?') throw new Error(`compose needs ${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}
const envOf = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''))]));

/** The port a `node -e "fetch('http://127.0.0.1:PORT/PATH')"` health check calls, and its path. */
function healthTarget(s: Service): { port: number; path: string } {
  const m = /http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/.exec((s.healthcheck?.test ?? []).join(' '));
  expect(m, 'health check fetches http://127.0.0.1:<port>/<path>').not.toBeNull();
  return { port: Number(m![1]), path: m![2] };
}

/** Variables @temporalio/envconfig reads (Temporal's own names; not in Slipway's schema beyond the basic three). */
const TEMPORAL_ENVCONFIG = /^TEMPORAL_(ADDRESS|NAMESPACE|API_KEY|PROFILE|CONFIG_FILE|TLS|TLS_[A-Z_]+|GRPC_META_[A-Z0-9_]+|CODEC_[A-Z]+)$/;

describe('docker-compose.yml', () => {
  it('runs the worker, the training worker, the model server and the API from the Slipway image', () => {
    expect(slipway.map(([name]) => name).sort()).toEqual(['api', 'model-server', 'worker', 'worker-training']);
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'temporal-setup']) expect(services[name], name).toBeDefined();
    expect(services.temporal.image).toMatch(/^temporalio\/(auto-setup|server):/);
    expect(services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
  });

  describe.each(slipway)('%s', (name, service) => {
    const env = envOf(service);

    it('sets only variables the code reads, and they parse with the real config loader', () => {
      const unknown = Object.keys(env).filter((k) => !ENV_VAR_NAMES.includes(k) && !TEMPORAL_ENVCONFIG.test(k));
      expect(unknown).toEqual([]);
      expect(() => loadConfig(env)).not.toThrow();
      const config = loadConfig(env);
      expect(config.registryUrl).toMatch(/^postgres:\/\/slipway:[^@]+@postgres:5432\/slipway$/);
      expect(config.temporal.connection.address).toBe('temporal:7233');
    });

    it('runs an entry point that exists, through tsx from the production dependencies', () => {
      const command = service.command as string[];
      expect(Array.isArray(command)).toBe(true);
      expect(command[0]).toBe('node_modules/.bin/tsx');
      expect(JSON.parse(read('package.json')).dependencies.tsx).toBeDefined();
      expect(existsSync(path.join(ROOT, command[1]))).toBe(true);
    });

    it('health-checks a route the process serves, on the port it listens on', () => {
      const config = loadConfig(envOf(service));
      const { port, path: route } = healthTarget(service);
      expect(route).toBe('/healthz');
      if (name === 'api') {
        expect(port).toBe(config.api.port);
        expect(config.api.host).toBe('0.0.0.0');
        expect(read('src/api/server.ts')).toMatch(/app\.get\('\/healthz'/);
      } else if (name === 'model-server') {
        expect(port).toBe(config.serve.port);
        expect(config.serve.host).toBe('0.0.0.0');
        expect(read('src/serving/routes/health.ts')).toMatch(/app\.get\('\/healthz'/);
      } else {
        expect(port).toBe(config.observability.metrics?.port);
        expect(config.observability.metrics?.host).toBe('0.0.0.0');
        expect(read('src/observability/metrics-server.ts')).toContain("path === '/healthz'");
      }
    });

    it('publishes, if anything, the port the process listens on', () => {
      const config = loadConfig(envOf(service));
      const listens = name === 'api' ? config.api.port : name === 'model-server' ? config.serve.port : config.observability.metrics?.port;
      for (const mapping of service.ports ?? []) expect(Number(mapping.split(':').at(-1))).toBe(listens);
    });

    // The API too: a discard purges the batch's bytes, checking the workers' step records and cache.
    it('keeps its data in the mounted volume', () => {
      const config = loadConfig(envOf(service));
      expect(service.volumes).toContain(`slipway-data:${config.dataDir}`);
    });
  });

  it('serves every task queue with some worker, and workers reach the model server they deploy to', () => {
    const served = slipway.flatMap(([, s]) => (envOf(s).SLIPWAY_WORKER_QUEUES ?? '').split(',')).filter(Boolean);
    expect([...new Set(served)].sort()).toEqual([...WORK_KINDS].sort());
    const serve = loadConfig(envOf(services['model-server'])).serve;
    for (const name of ['worker', 'worker-training']) {
      const config = loadConfig(envOf(services[name]));
      expect(config.serve.url).toBe(`http://model-server:${serve.port}`);
      expect(config.serve.adminToken).toBe(serve.adminToken);
    }
  });

  it('registers the search attributes the workflows upsert before any Slipway process starts', () => {
    const command = [services['temporal-setup'].command].flat().join(' ');
    for (const key of SEARCH_ATTRIBUTE_KEYS) expect(command).toContain(`--name ${key.name} --type Keyword`);
    for (const [name, s] of slipway) {
      if (name === 'model-server') continue; // needs only the registry
      expect(s.depends_on?.['temporal-setup']?.condition, name).toBe('service_completed_successfully');
    }
  });

  it('ships no usable secret in deploy/env.example: compose refuses to start until the operator sets them', () => {
    for (const name of SECRETS) {
      expect(example[name], name).toBe('');
      expect(read('docker-compose.yml')).toContain(`\${${name}:?`);
    }
  });

  it('publishes Temporal, its Web UI, Prometheus and Grafana on the loopback interface only (no authentication of their own)', () => {
    for (const name of ['temporal', 'temporal-ui', 'prometheus', 'grafana']) {
      expect(services[name].ports?.length, name).toBeGreaterThan(0);
      for (const mapping of services[name].ports ?? []) expect(mapping, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    // Nothing else that lacks authentication is published at all.
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).some((p) => !p.startsWith('127.0.0.1:')));
    expect(published.map(([name]) => name).sort()).toEqual(['api', 'model-server']);
  });

  it('has Prometheus scrape the worker and model server metrics ports, and Grafana load the dashboard', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ dns_sd_configs?: Array<{ names: string[]; port: number }>; static_configs?: Array<{ targets: string[] }> }>;
    };
    const workers = prom.scrape_configs.flatMap((c) => c.dns_sd_configs ?? []);
    expect(workers.flatMap((d) => d.names).sort()).toEqual(['worker', 'worker-training']);
    for (const d of workers) expect(d.port).toBe(loadConfig(envOf(services.worker)).observability.metrics?.port);
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs ?? []).flatMap((s) => s.targets);
    expect(targets).toContain(`model-server:${loadConfig(envOf(services['model-server'])).serve.port}`);
    for (const volume of services.grafana.volumes ?? []) expect(existsSync(path.join(ROOT, volume.split(':')[0]))).toBe(true);
    for (const volume of services.prometheus.volumes ?? []) if (volume.startsWith('./')) expect(existsSync(path.join(ROOT, volume.split(':')[0]))).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage, installs production dependencies only and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
  });

  it('copies only paths that exist and starts an entry point that exists', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)) {
      for (const source of m[1].split(' ')) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    }
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]) as string[];
    expect(cmd[0]).toBe('node_modules/.bin/tsx');
    expect(existsSync(path.join(ROOT, cmd[1]))).toBe(true);
    // The image sets these; they must be variables the code reads.
    for (const name of ['SLIPWAY_CODE_VERSION', 'SLIPWAY_DATA_DIR', 'SLIPWAY_PIPELINES_DIR']) {
      expect(dockerfile).toContain(`${name}=`);
      expect(ENV_VAR_NAMES).toContain(name);
    }
  });

  it('keeps local state and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', '.venv', 'data', '.git']) expect(ignored).toContain(entry);
  });

  it('ships the sample files the shipped pipelines and the README read, though vega-datasets is a dev dependency', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies).not.toHaveProperty('vega-datasets');
    expect(pkg.devDependencies).toHaveProperty('vega-datasets');
    const texts = [read('README.md'), ...readdirSync(path.join(ROOT, 'pipelines')).filter((f) => f.endsWith('.yaml')).map((f) => read(path.join('pipelines', f)))];
    const named = new Set(texts.flatMap((text) => [...text.matchAll(/package:vega-datasets\/([\w./-]+\.\w+)/g)].map((m) => m[1])));
    expect(named).toContain('data/flights-3m.parquet');
    // The image's copy sits where `package:` resolves it: node_modules/vega-datasets, beside its package.json.
    const shipped = [...dockerfile.matchAll(/^COPY --from=sample-data (.+) (\S+)$/gm)].flatMap((m) =>
      m[1].split(' ').map((source) => path.posix.join(m[2].endsWith('/') ? m[2] : path.posix.dirname(m[2]), path.posix.basename(source))),
    );
    expect(shipped).toContain('node_modules/vega-datasets/package.json');
    for (const file of named) expect(shipped, file).toContain(`node_modules/vega-datasets/${file}`);
    expect(dockerfile).toMatch(/packages\['node_modules\/vega-datasets'\]\.version/);
  });

  it('ships src, whose code loads only production dependencies and nothing from tools/ or test/', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].flatMap((m) => m[1].split(' '));
    expect(copied).toContain('src');
    for (const devOnly of ['tools', 'test', 'bench']) expect(copied).not.toContain(devOnly);
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const files = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(100);
    const problems: string[] = [];
    for (const file of files) {
      const source = read(path.join('src', file));
      // Runtime imports only: `import type` / `export type` vanish when tsx strips the types.
      const specifiers = [
        ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1]),
        ...[...source.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]),
      ];
      for (const spec of specifiers) {
        if (spec.startsWith('.')) {
          // Inside the repository, only what the image copies (src, package.json, ...).
          const target = path.relative(ROOT, path.resolve(path.join(ROOT, 'src', path.dirname(file)), spec)).split(path.sep)[0];
          if (!copied.includes(target)) problems.push(`src/${file} imports ${spec}, which the image does not copy`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
        if (!(name in pkg.dependencies)) problems.push(`src/${file} imports ${spec}, ${name in pkg.devDependencies ? 'a dev dependency' : 'not a dependency'}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
