/**
 * Runs the quarantine sweep (quarantine-purge.ts) in a worker: once at start, then every
 * `everyMs`. Sweeps never overlap within a process; concurrent sweeps of several workers are
 * safe (discards and purge records are transactional, deletes idempotent).
 */
import type { Logger } from 'pino';
import { sweepQuarantine, type PurgeDeps, type SweepOptions, type SweepResult } from './quarantine-purge';

/** @default every hour: a retention is counted in days, and a sweep costs a scan of the step records. */
export const SWEEP_EVERY_MS = 3_600_000;

export function startQuarantineSweeps(deps: PurgeDeps, options: SweepOptions, log: Logger, everyMs = SWEEP_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const once = () => {
    running ??= sweepQuarantine(deps, options)
      .then((result) => logSweep(log, result))
      .catch((err: unknown) => log.warn({ err }, 'quarantine sweep failed; the next one tries again'))
      .finally(() => {
        running = undefined;
      });
  };
  once();
  const timer = setInterval(once, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

function logSweep(log: Logger, result: SweepResult): void {
  for (const b of result.expired) log.info(b, 'quarantined batch discarded: retention expired');
  for (const b of result.overdue) log.warn(b, 'quarantined batch undecided beyond its retention (SLIPWAY_QUARANTINE_EXPIRY=report): release or discard it');
  for (const p of result.purged) {
    log.info({ model: p.model, dataDigest: p.dataDigest, deleted: p.deleted, gone: p.gone.length, kept: p.kept }, 'discarded batch purged');
  }
  for (const f of result.failed) log.warn(f, 'purge of a discarded batch failed; the next sweep tries again');
}
