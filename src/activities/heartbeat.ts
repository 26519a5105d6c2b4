/**
 * Heartbeats for long activities. A heartbeating activity whose worker dies is retried after its
 * heartbeat timeout (a minute) instead of its start-to-close timeout (up to hours), and only a
 * heartbeating activity hears that its workflow cancelled it.
 */
import { CancelledFailure, Context } from '@temporalio/activity';

export interface Heartbeat<D> {
  /** Heartbeats `details` now and keeps repeating them on the timer. */
  report(details: D): void;
  stop(): void;
}

/** Heartbeats `initial` now, then the last reported details every `everyMs` until stopped. */
export function startHeartbeat<D extends object>(ctx: Context, everyMs: number, initial: D): Heartbeat<D> {
  const started = Date.now();
  let last = initial;
  const send = (): void => ctx.heartbeat({ ...last, elapsedSeconds: Math.round((Date.now() - started) / 100) / 10 });
  send();
  const timer = setInterval(send, everyMs);
  timer.unref();
  return {
    report(details: D): void {
      last = details;
      send();
    },
    stop: (): void => clearInterval(timer),
  };
}

/** The running activity's cancellation signal; undefined outside an activity (benchmarks, tools). */
export function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while heartbeating, and rejects with the activity's `CancelledFailure` as soon as the
 * workflow cancels it. `work` is told through `ctx.cancellationSignal` (DuckDB sessions interrupt their
 * query on it); whatever it still returns after a cancellation is dropped.
 */
export async function heartbeating<T>(ctx: Context, everyMs: number, details: object, work: () => Promise<T>): Promise<T> {
  const heartbeat = startHeartbeat(ctx, everyMs, details);
  const running = work();
  try {
    return await Promise.race([running, ctx.cancelled]);
  } catch (err) {
    // The work may still settle after a cancellation won the race; its outcome no longer matters.
    if (err instanceof CancelledFailure) running.catch(() => undefined);
    throw err;
  } finally {
    heartbeat.stop();
  }
}
