/**
 * Determinism guard: every history recorded from a real run (test/histories) must replay
 * against today's workflow code. If one fails, a change would break pipelines already in
 * flight; version the change with `patched()` instead of re-recording, and record the new
 * code path with `npx tsx scripts/record-history.ts <name>`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../src/workflows-path';

const dir = path.join(__dirname, 'histories');
const recordings = readdirSync(dir).filter((f) => f.endsWith('.history.pb')).sort();

describe('replay of recorded histories', () => {
  it('has the recordings of each code path: the original run, the task-queue local activity, the lean run, a pipeline with its canary, a canary promoted and one rolled back, continuous training', () => {
    expect(recordings).toEqual(
      expect.arrayContaining([
        'flight-delay.history.pb',
        'pipeline-task-queues-local-activity.history.pb',
        'pipeline-lean-run.history.pb',
        'flight-delay-lean-run.history.pb',
        // From `make demo` (scripts/record-history.ts --from): the canary workflow with every patch of its step loop.
        'pipeline-with-canary.history.pb',
        'canary-sequential-promoted.history.pb',
        'canary-score-shift-rolled-back.history.pb',
        // The demo's promoted canary with the estimate-within-margin rule (patched 'canary-pass-within-margin').
        'canary-pass-within-margin-promoted.history.pb',
        // scripts/record-history.ts continuous-training: a retrain (child pipeline) and a drift probe with its patch.
        'continuous-training-retrain-then-probe.history.pb',
      ]),
    );
  });

  it.each(recordings)('replays %s without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
    expect(history.events.length).toBeGreaterThan(20);
    // A workflow that derives child ids from its own id (continuous training's retrains) replays under that id.
    const idFile = path.join(dir, file.replace(/\.history\.pb$/, '.workflow-id'));
    const workflowId = existsSync(idFile) ? readFileSync(idFile, 'utf8').trim() : undefined;
    await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: file }, history, workflowId)).resolves.toBeUndefined();
  }, 120_000);
});
