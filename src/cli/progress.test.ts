import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { heartbeatProgress, renderStep } from './progress';

/** A handle whose run has these pending activities with JSON heartbeat details. */
const handleWith = (details: unknown[]) =>
  ({
    describe: async () => ({
      raw: {
        pendingActivities: details.map((d, i) => ({
          activityId: String(i + 1),
          activityType: { name: 'train' },
          heartbeatDetails: { payloads: [{ data: Buffer.from(JSON.stringify(d)) }] },
        })),
      },
    }),
  }) as unknown as WorkflowHandle;

describe('run progress', () => {
  it('keeps one entry per step id, so parallel candidates of one kind get a bar each', async () => {
    const progress = await heartbeatProgress(
      handleWith([
        { step: 'train-lr', phase: 'fitting', fraction: 0.5, epoch: 5, epochs: 10, loss: 0.41234 },
        { step: 'train-sklearn', phase: 'loading', fraction: 0.1 },
        { step: 'ingest', kind: 'ingest', elapsedSeconds: 3 },
      ]),
    );
    expect([...progress.keys()]).toEqual(['train-lr', 'train-sklearn', 'ingest']);
    expect(progress.get('train-lr')).toEqual({ fraction: 0.5, detail: 'fitting epoch 5/10 loss 0.4123' });
    expect(progress.get('train-sklearn')).toEqual({ fraction: 0.1, detail: 'loading' });
  });

  it('ignores heartbeats that name no step or cannot be read', async () => {
    const handle = handleWith([{ phase: 'fitting' }]);
    expect((await heartbeatProgress(handle)).size).toBe(0);
  });

  it('draws a running step at its reported fraction and a finished one full', () => {
    const running = renderStep({ id: 'train-lr', kind: 'train', state: 'running', attempts: 1 }, { fraction: 0.5, detail: 'fitting' }, 10);
    expect(running).toMatch(/^train-lr\s+\[#####-----\] running\s+fitting$/);
    const done = renderStep({ id: 'ingest', kind: 'ingest', state: 'succeeded', attempts: 1, durationMs: 1500 }, undefined, 10);
    expect(done).toMatch(/^ingest\s+\[##########\] succeeded\s+1\.5s$/);
  });
});
