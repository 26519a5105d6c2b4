/**
 * `slipway run -f <file>`: a pipeline file outside pipelines/ read by the real CLI process and sent
 * inline to a real dev server and worker; bad files are refused before anything starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TEST_SIGNING_KEY, type Harness } from '../helpers/slipway-harness';
import { startDevServer } from '../helpers/temporal-env';
import { PENGUINS_INGEST } from '../support/penguins';

const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');

/** Seattle and New York weather 2012–2015 (vega-datasets): will it rain, from the temperatures and wind? */
const WEATHER_PIPELINE = `# yaml-language-server: $schema=../docs/pipeline.schema.json
name: rain-from-file
model: rain
steps:
  - id: ingest
    kind: ingest
    with:
      source: { path: package:vega-datasets/data/weather.csv }
      timeColumn: date
      features:
        - { name: temp_max, column: temp_max, transform: double }
        - { name: temp_min, column: temp_min, transform: double }
        - { name: wind, column: wind, transform: double }
        - { name: location, column: location }
      label: { name: rained, column: precipitation, op: gt, value: 0 }
  - id: validate
    kind: validate
    dependsOn: [ingest]
  - id: train
    kind: train
    dependsOn: [validate]
    with:
      trainer: builtin
      features: { numeric: [temp_max, temp_min, wind], categorical: [location] }
      params: { epochs: 5, seed: 3 }
  - id: evaluate
    kind: evaluate
    dependsOn: [train]
    with: { primaryMetric: auc, gates: [{ metric: auc, min: 0.6 }] }
  - id: register
    kind: register
    dependsOn: [evaluate]
`;

describe('slipway run -f', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let dir: string;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = await startDevServer();
    h = await startHarness(env);
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-run-file-'));
    cliEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      SLIPWAY_TASK_QUEUE: h.config.taskQueue,
      SLIPWAY_DATA_DIR: h.dataDir,
      SLIPWAY_PIPELINES_DIR: h.config.pipelinesDir,
      SLIPWAY_DATA_ROOTS: tmpdir(),
      SLIPWAY_RUN_SIGNING_KEY: TEST_SIGNING_KEY,
    };
    delete cliEnv.SLIPWAY_TOKEN;
  });

  afterAll(async () => {
    await h?.close();
    await env?.teardown();
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  const slipway = (args: string[]) =>
    promisify(execFile)(BIN, args, { env: cliEnv, timeout: 150_000, cwd: dir }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const runIds = async () => (JSON.parse((await slipway(['runs', '--json'])).stdout) as { workflowId: string }[]).map((r) => r.workflowId);

  it('runs a pipeline file from any folder to completion, sending the spec inline', async () => {
    await writeFile(path.join(dir, 'rain.yaml'), WEATHER_PIPELINE);
    const r = await slipway(['run', '-f', 'rain.yaml', '--set', 'train.params.seed=5', '--key', 'rain-1', '--json']);
    expect(r.stderr).not.toMatch(/slipway:/);
    const result = JSON.parse(r.stdout);
    // The run is named after the file's pipeline, like a named pipeline's run.
    expect(result).toMatchObject({ workflowId: 'rain-from-file-rain-1', stage: 'completed', model: 'rain' });
    expect(result.outputs.ingest.summary).toMatchObject({ source: 'package:vega-datasets/data/weather.csv', label: 'rained' });
    expect(result.outputs.ingest.summary.trainRows + result.outputs.ingest.summary.holdoutRows).toBe(2922);
    expect(result.outputs.register.summary).toMatchObject({ model: 'rain', version: 1 });

    // The worker got the spec itself (with the --set applied on top), never the file's path.
    const history = await env.client.workflow.getHandle('rain-from-file-rain-1').fetchHistory();
    const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0]);
    expect(input).toMatchObject({ spec: { name: 'rain-from-file', model: 'rain' }, overrides: { train: { params: { seed: 5 } } } });
    expect(input.pipeline).toBeUndefined();
    expect(JSON.stringify(input)).not.toContain('rain.yaml');

    const audit = JSON.parse((await slipway(['audit', 'list', '--target', 'run:rain-from-file-rain-1', '--json'])).stdout);
    expect(audit.at(-1)).toMatchObject({ action: 'run.start', origin: 'cli', details: { phase: 'intent', input: { spec: { name: 'rain-from-file' } } } });
  }, 180_000);

  it('runs a file whose source has no time column, through a select, to a registered model', async () => {
    // JSON is YAML: a pipeline file written by a program.
    const spec = {
      name: 'penguins-from-file',
      model: 'penguin-sex',
      steps: [
        { id: 'ingest', kind: 'ingest', with: PENGUINS_INGEST },
        { id: 'validate', kind: 'validate', dependsOn: ['ingest'], with: { minRows: 100 } },
        {
          id: 'train',
          kind: 'train',
          dependsOn: ['validate'],
          with: { trainer: 'builtin', features: { numeric: ['beak_length', 'beak_depth', 'flipper_length', 'body_mass'], categorical: ['species', 'island'] }, params: { epochs: 30, seed: 1 } },
        },
        { id: 'evaluate', kind: 'evaluate', dependsOn: ['train'], with: { primaryMetric: 'auc', gates: [{ metric: 'auc', min: 0.8 }] } },
        { id: 'register', kind: 'register', dependsOn: ['evaluate'] },
      ],
    };
    await writeFile(path.join(dir, 'penguins.json'), JSON.stringify(spec, null, 2));
    const r = await slipway(['run', '-f', 'penguins.json', '--key', 'p1', '--json']);
    expect(r.stderr).not.toMatch(/slipway:/);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ workflowId: 'penguins-from-file-p1', stage: 'completed' });
    expect(result.outputs.ingest.summary).toMatchObject({ window: {}, holdoutFrom: null, select: expect.stringContaining('"Beak Length (mm)" AS beak_length') });
    expect(result.outputs.ingest.summary.trainRows + result.outputs.ingest.summary.holdoutRows).toBe(333);
    // Sex from body measurements and species is an easy task: the gate (AUC >= 0.8) passed.
    expect(result.outputs.evaluate.summary.metrics.auc).toBeGreaterThan(0.8);
    expect(result.outputs.register.summary).toMatchObject({ model: 'penguin-sex', version: 1 });
  }, 180_000);

  it('refuses a select that reads a file, naming the field, and starts nothing', async () => {
    const spec = { name: 'penguins-sneaky', model: 'penguin-sex', steps: [{ id: 'ingest', kind: 'ingest', with: { ...PENGUINS_INGEST, source: { ...PENGUINS_INGEST.source, select: "SELECT * FROM read_csv('/etc/passwd')" } } }] };
    await writeFile(path.join(dir, 'sneaky.yaml'), JSON.stringify(spec));
    const r = await slipway(['run', '-f', 'sneaky.yaml', '--key', 'bad']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sneaky.yaml: steps[0].with.source.select: calls the table function read_csv()');
    expect((await runIds()).filter((id) => id.endsWith('-bad'))).toEqual([]);
  }, 60_000);

  it.each([
    ['a missing file', 'nope.yaml', undefined, /^slipway: -f nope\.yaml: no such file\n$/],
    ['broken YAML', 'broken.yaml', 'name: rain-broken\nsteps: [\n', /^slipway: -f broken\.yaml: not valid YAML at line \d+, column \d+: /],
    ['a spec with a bad field', 'bad-field.yaml', WEATHER_PIPELINE.replace('name: rain-from-file', 'name: rain-bad').replace('op: gt', 'op: greater'), /bad-field\.yaml: steps\[0\]\.with\.label\.op: Invalid option: expected one of "gt"\|"gte"\|"lt"\|"lte"\|"eq"/],
    ['an unknown step kind', 'bad-kind.yaml', WEATHER_PIPELINE.replace('name: rain-from-file', 'name: rain-kind').replace('kind: register', 'kind: regster'), /bad-kind\.yaml: steps\[4\]\.kind: unknown step kind "regster"/],
    [
      'a source outside the data roots',
      'outside.yaml',
      WEATHER_PIPELINE.replace('name: rain-from-file', 'name: rain-outside').replace('package:vega-datasets/data/weather.csv', '/etc/passwd'),
      /outside\.yaml: steps\[0\]\.with\.source\.path: .*outside the data roots/,
    ],
  ])('refuses %s with exit 2, naming the file and field, and starts nothing', async (_what, file, content, message) => {
    if (content !== undefined) await writeFile(path.join(dir, file), content);
    const r = await slipway(['run', '-f', file, '--key', 'bad']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect((await runIds()).filter((id) => id.endsWith('-bad'))).toEqual([]);
  }, 60_000);
});
