/** The topology's pure parts: queue names from config, which kinds a worker serves, where each activity goes. */
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { STEP_KINDS } from '../../src/pipeline/step-kinds';
import { workOfActivity } from '../../src/topology/queue-workers';
import { WORK_KINDS } from '../../src/topology/task-queues';

describe('task-queue topology config', () => {
  it('derives one queue per kind of work from SLIPWAY_TASK_QUEUE and serves all of them by default', () => {
    const config = loadConfig({ SLIPWAY_TASK_QUEUE: 'ml' });
    expect(config.taskQueues).toEqual({ orchestration: 'ml', data: 'ml-data', training: 'ml-training', deployment: 'ml-deployment' });
    expect(config.workerQueues).toEqual(['orchestration', 'data', 'training', 'deployment']);
  });

  it('takes explicit queue names and a list of kinds to serve', () => {
    const config = loadConfig({ SLIPWAY_WORKER_QUEUES: 'training, data', SLIPWAY_TRAINING_TASK_QUEUE: 'gpu-pool' });
    expect(config.taskQueues.training).toBe('gpu-pool');
    expect(config.taskQueues.data).toBe('slipway-data');
    expect(config.workerQueues).toEqual(['data', 'training']);
  });

  it('rejects an unknown kind of work, naming the ones it knows', () => {
    let error: unknown;
    try {
      loadConfig({ SLIPWAY_WORKER_QUEUES: 'orchestration,gpu' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/SLIPWAY_WORKER_QUEUES: unknown kind of work "gpu"; use "all" or a comma-separated list of orchestration, data, training, deployment/);
  });
});

describe('where each activity runs', () => {
  it('puts every activity of createActivities on one of the four kinds of work, as documented', () => {
    const names = Object.keys(createActivities({ pipelinesDir: '.', duckdbThreads: 1, dataRoots: { roots: [], maxFiles: 1, maxWalkEntries: 1 } } as never));
    const byKind = Object.fromEntries(WORK_KINDS.map((k) => [k, names.filter((n) => workOfActivity(n) === k).sort()]));
    expect(byKind).toEqual({
      orchestration: ['assessRetraining', 'noop', 'parseCanaryInput', 'register', 'resolvePipeline', 'taskQueues', 'verifyDecision'],
      data: ['ingest', 'validate'],
      training: ['commandStep', 'evaluate', 'importModel', 'train'],
      deployment: ['canaryMeasure', 'canarySetTraffic', 'canaryWriteReport', 'deployChampion', 'promote', 'rollbackChampion'],
    });
  });

  it('gives every step kind a queue', () => {
    for (const kind of Object.values(STEP_KINDS)) expect(WORK_KINDS).toContain(kind.queue);
  });
});
