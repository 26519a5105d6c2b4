/**
 * Pre-built models: ONNX files exported by scikit-learn in a separate Python process (the
 * project's .venv, skl2onnx), checked against their declared contract with onnxruntime-node,
 * and registered through the real API app (Fastify inject; these routes never touch Temporal)
 * and the real CLI process on one SQLite governance store with real tokens. Only an approver
 * with a grant on the model, or an admin, imports; every refusal, and every mismatch, leaves
 * the versions, the artifact store and the audit head unchanged.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../src/artifacts/create-artifact-store';
import { apiAuthenticator } from '../../src/auth/authenticator';
import { buildApi } from '../../src/api/server';
import { PipelineSchedules } from '../../src/client/schedules';
import { SlipwayClient } from '../../src/client/slipway-client';
import { loadConfig } from '../../src/config';
import { withDuckDb, sqlString } from '../../src/data/duckdb';
import { flightsParquetPath } from '../../src/data/flights-window';
import { ModelContractError } from '../../src/errors';
import { openGovernance, type Governance } from '../../src/registry/create-registry';
import { checkModelContract } from '../../src/training/model-contract-check';
import { createGovernanceStore, type GovernanceStore } from '../governance/governance-store';
import { addPrincipals } from '../support/principals';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'slipway');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const EXPORT = path.join(__dirname, 'export-sklearn-onnx.py');
const MODEL = 'flight-delay';
const FEATURES = { numeric: ['distance'], categorical: ['hour', 'origin'] };
const CALLERS = ['viewer', 'operator', 'noGrant', 'approver', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

let dir: string;
let data: string;
const models = {} as Record<'binary' | 'renamed' | 'multiclass' | 'regression', string>;

/** Exports one scikit-learn model in its own Python process. */
async function exportModel(name: keyof typeof models, args: string[]): Promise<void> {
  models[name] = path.join(dir, `${name}.onnx`);
  const { stdout } = await run(PYTHON, [EXPORT, '--data', data, '--out', models[name], '--numeric', 'distance', '--categorical', 'hour,origin', ...args], { timeout: 180_000 });
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ out: models[name] });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-import-'));
  data = path.join(dir, 'flights.parquet');
  // Real flights (vega-datasets), ten days of March 2001: delay > 15 (binary), a delay bucket (multiclass), minutes (regression).
  await withDuckDb({}, (c) =>
    c.run(`COPY (SELECT distance::DOUBLE AS distance, hour(date)::INTEGER AS hour, origin, (delay > 15)::INTEGER AS label,
                        CASE WHEN delay <= 0 THEN 'early' WHEN delay <= 15 THEN 'on-time' ELSE 'late' END AS bucket, delay::DOUBLE AS minutes
                 FROM read_parquet(${sqlString(flightsParquetPath())}) WHERE date >= '2001-03-01' AND date < '2001-03-11' LIMIT 40000)
           TO ${sqlString(data)} (FORMAT parquet)`),
  );
  await exportModel('binary', ['--label', 'label']);
  await exportModel('renamed', ['--label', 'label', '--rename', 'hour=dep_hour']);
  await exportModel('multiclass', ['--label', 'bucket', '--task', 'multiclass']);
  await exportModel('regression', ['--label', 'minutes', '--task', 'regression']);
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const problemsOf = async (p: Promise<unknown>): Promise<string[]> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ModelContractError);
  return (err as ModelContractError).problems;
};

describe('checkModelContract on scikit-learn exports', () => {
  it('accepts a binary classifier whose inputs and outputs meet the declared contract', async () => {
    const facts = await checkModelContract(models.binary, { task: 'binary', features: FEATURES });
    expect(facts.inputs).toEqual(expect.arrayContaining([{ name: 'distance', type: 'float32' }, { name: 'hour', type: 'string' }, { name: 'origin', type: 'string' }]));
    expect(facts.outputs).toEqual(expect.arrayContaining([{ name: 'probabilities', type: 'float32', probeShape: [2, 2] }]));
  });

  it('names a missing and an undeclared input', async () => {
    expect(await problemsOf(checkModelContract(models.renamed, { task: 'binary', features: FEATURES }))).toEqual([
      'inputs: the model has no input for declared feature hour (its inputs: distance, dep_hour, origin)',
      'inputs: dep_hour is an input of the model but not a declared feature; declare it (--numeric or --categorical) or export the model without it',
    ]);
  });

  it('names an input whose type contradicts the declaration', async () => {
    expect(await problemsOf(checkModelContract(models.binary, { task: 'binary', features: { numeric: ['distance', 'hour'], categorical: ['origin'] } }))).toEqual([
      'inputs.hour: declared numeric, so tensor(float) is expected, but the model takes tensor(string)',
    ]);
  });

  it('names the outputs a task needs and a classifier lacks, and a probability width that does not match the classes', async () => {
    expect(await problemsOf(checkModelContract(models.binary, { task: 'regression', features: FEATURES }))).toEqual([
      'outputs: a regression model must have an output "value" (tensor(float)); the model\'s outputs are label, probabilities',
    ]);
    expect(await problemsOf(checkModelContract(models.multiclass, { task: 'binary', features: FEATURES }))).toEqual(['outputs.label: expected tensor(int64), got tensor(string)']);
    expect(await problemsOf(checkModelContract(models.multiclass, { task: 'multiclass', features: FEATURES, classes: ['early', 'late'] }))).toEqual([
      'outputs.probabilities: expected shape [N, 2] (one column per declared class: early, late), got [N, 3] on 2 rows',
    ]);
  });

  it('accepts multiclass (classes in probability order) and regression exports', async () => {
    // scikit-learn orders classes_ by sorted value.
    await checkModelContract(models.multiclass, { task: 'multiclass', features: FEATURES, classes: ['early', 'late', 'on-time'] });
    const facts = await checkModelContract(models.regression, { task: 'regression', features: FEATURES });
    expect(facts.outputs).toEqual([{ name: 'value', type: 'float32', probeShape: [2, 1] }]);
  });

  it('refuses bytes onnxruntime cannot load, and a multiclass declaration without classes', async () => {
    expect((await problemsOf(checkModelContract(new TextEncoder().encode('not a model'), { task: 'binary', features: FEATURES })))[0]).toMatch(/^onnxruntime cannot load the model: /);
    expect(await problemsOf(checkModelContract(models.multiclass, { task: 'multiclass', features: FEATURES }))).toEqual([
      'classes: a multiclass model needs its class list (at least 2), in the order of its probabilities columns',
    ]);
  });
});

describe('slipway models import and POST /v1/models/:model/import', () => {
  let store: GovernanceStore;
  let dataDir: string;
  let governance: Governance;
  let app: Awaited<ReturnType<typeof buildApi>>;
  let cliEnv: NodeJS.ProcessEnv;
  const tokens = {} as Record<Caller, string>;

  beforeAll(async () => {
    store = await createGovernanceStore('sqlite');
    dataDir = await mkdtemp(path.join(tmpdir(), 'slipway-import-gov-'));
    const env = { SLIPWAY_DATA_DIR: dataDir, ...store.env };
    const config = loadConfig(env);
    governance = await openGovernance(config);
    const { access, registry } = governance;
    tokens.admin = (await access.bootstrap({ admin: 'root' })).token;
    const root = (await access.authenticate(tokens.admin))!;
    await addPrincipals(access, root, tokens, [['viewer', 'vic', 'viewer'], ['operator', 'otto', 'operator'], ['noGrant', 'noah', 'approver'], ['approver', 'ann', 'approver']] as const);
    await access.grant({ principal: 'ann', model: MODEL, alias: 'champion' }, root);
    await access.grant({ principal: 'noah', model: 'elsewhere' }, root);
    const temporal = new Client(); // lazy: never connects
    app = await buildApi({
      slipway: new SlipwayClient(temporal, { taskQueue: 'import' }),
      schedules: new PipelineSchedules(temporal, 'import'),
      registry,
      access,
      audit: governance.audit,
      authenticator: apiAuthenticator(access),
      taskQueue: 'import',
      pipelinesDir: 'pipelines',
      artifacts: createArtifactStore(config),
    });
    const { SLIPWAY_TOKEN: _t, SLIPWAY_REGISTRY_URL: _u, SLIPWAY_REGISTRY_PATH: _p, ...inherited } = process.env;
    cliEnv = { ...inherited, ...env };
  });
  afterAll(async () => {
    await app?.close();
    await governance?.close();
    await store?.cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const upload = async (caller: Caller, file: string, query: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}/import?${query}`,
      headers: { authorization: `Bearer ${tokens[caller]}`, 'content-type': 'application/octet-stream' },
      payload: await readFile(file),
    });
  const storedFiles = async (): Promise<string[]> =>
    (await readdir(path.join(dataDir, 'artifacts'), { recursive: true }).catch(() => [] as string[])).filter((f) => f.includes('sha256/')).sort();
  const state = async () => ({ versions: await governance.registry.listVersions(MODEL), head: await governance.audit.head(), files: await storedFiles() });
  const slipway = (args: string[], caller?: Caller) =>
    run(BIN, args, { env: { ...cliEnv, ...(caller ? { SLIPWAY_TOKEN: tokens[caller] } : {}) }, timeout: 60_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const QUERY = 'task=binary&numeric=distance&categorical=hour,origin&filename=delay-lr.onnx';

  it('refuses viewers, operators and approvers without a grant on the model (API 403, CLI exit 2), changing nothing', async () => {
    const before = await state();
    for (const caller of ['viewer', 'operator', 'noGrant'] as const) {
      const res = await upload(caller, models.binary, QUERY);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ action: 'model.import', requiredRole: 'approver' });
    }
    const cli = await slipway(['models', 'import', MODEL, models.binary, '--features', 'distance,hour:categorical,origin:categorical'], 'noGrant');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/noah has the approver role but no grant on model flight-delay/);
    expect(await state()).toEqual(before);
  });

  it('refuses a model whose inputs do not match the contract with the mismatch named (API 400, CLI exit 2), changing nothing', async () => {
    const before = await state();
    const res = await upload('approver', models.renamed, QUERY);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'ModelContractMismatch', problems: expect.arrayContaining([expect.stringContaining('no input for declared feature hour'), expect.stringContaining('dep_hour is an input of the model but not a declared feature')]) });
    const bad = await upload('approver', models.binary, 'task=multiclass&numeric=distance&categorical=hour,origin&classes=a');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems).toEqual([expect.stringContaining('classes: ')]);
    const cli = await slipway(['models', 'import', MODEL, models.renamed, '--features', 'distance,hour:categorical,origin:categorical'], 'approver');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('inputs: the model has no input for declared feature hour');
    expect((await slipway(['models', 'import', MODEL, models.binary, '--features', 'distance:float'], 'approver')).stderr).toContain('--features "distance:float": expected <column> or <column>:numeric or <column>:categorical');
    expect(await state()).toEqual(before);
  });

  it('imports for a granted approver: stored by digest, lineage says who and from what, audited as version.register; the same bytes again return that version', async () => {
    const head = (await governance.audit.head()).seq;
    const res = await upload('approver', models.binary, QUERY);
    expect(res.statusCode).toBe(201);
    const version = res.json();
    const bytes = await readFile(models.binary);
    expect(version).toMatchObject({ model: MODEL, version: 1, metrics: {}, tags: { imported: 'true' }, lineage: { trainer: 'imported', pipeline: 'import', features: FEATURES, blessed: null } });
    expect(version.lineage.imported).toMatchObject({ by: 'ann', source: 'delay-lr.onnx', task: 'binary', digest: version.artifact.sha256, origin: expect.stringMatching(/^api /) });
    expect(version.artifact.bytes).toBe(bytes.length);
    expect(await storedFiles()).toContain(path.join('sha256', version.artifact.sha256.slice(0, 2), version.artifact.sha256).replace(/\\/g, '/'));
    const entries = await governance.audit.list({ afterSeq: head });
    expect(entries.map((e) => [e.action, e.actor])).toEqual([['version.register', 'ann']]);
    // No alias moved: an import is a candidate, not a champion.
    expect(await governance.registry.getAlias(MODEL, 'champion')).toBeUndefined();

    const again = await upload('approver', models.binary, QUERY);
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(1);
    const cli = await slipway(['models', 'import', MODEL, models.binary, '--features', 'distance,hour:categorical,origin:categorical', '--json'], 'admin');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ version: 1, created: false });
    const lineage = await slipway(['models', 'lineage', `models:/${MODEL}/1`]);
    expect(lineage.stdout).toMatch(/imported {4}by ann from delay-lr\.onnx {2}sha256 [0-9a-f]{12}/);
  });

  it('imports a multiclass model from the CLI with its classes', async () => {
    const cli = await slipway(['models', 'import', MODEL, models.multiclass, '--task', 'multiclass', '--classes', 'early,late,on-time', '--features', 'distance,hour:categorical,origin:categorical', '--json'], 'approver');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ version: 2, created: true, lineage: { task: 'multiclass', classes: ['early', 'late', 'on-time'], imported: { by: 'ann', origin: 'cli' } } });
  });
});
