/**
 * Determinism guard: a history recorded from a real run must replay against today's
 * workflow code. If this fails, a change would break pipelines already in flight; version
 * the change with `patched()` instead of re-recording.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../src/workflows-path';

describe('replay of recorded histories', () => {
  it('replays the recorded flight-delay run without nondeterminism', async () => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(__dirname, 'histories', 'flight-delay.history.pb')));
    expect(history.events.length).toBeGreaterThan(20);
    await expect(
      Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'flight-delay' }, history),
    ).resolves.toBeUndefined();
  }, 120_000);
});
