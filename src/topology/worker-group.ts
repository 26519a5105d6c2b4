/**
 * Several Temporal Workers in one process, run and stopped together: one per task queue the
 * process serves (SLIPWAY_WORKER_QUEUES). It offers the three calls callers made on a single
 * Worker (`run`, `runUntil`, `shutdown`), so embedded mode reads as it did with one Worker.
 */
import type { Worker } from '@temporalio/worker';
import type { WorkKind } from './task-queues';

/** One Worker and the kinds of work its queue carries (several kinds may share a queue name). */
export interface QueueWorker {
  taskQueue: string;
  kinds: readonly WorkKind[];
  worker: Worker;
}

export class WorkerGroup {
  constructor(readonly members: readonly QueueWorker[]) {
    if (members.length === 0) throw new Error('WorkerGroup: no worker to run');
  }

  /**
   * Polls every queue until `shutdown()` or a signal (the SDK's runtime shuts every Worker down
   * on SIGINT/SIGTERM and lets in-flight tasks finish). If one Worker fails, the others are
   * shut down too and the first failure is thrown once all have stopped.
   */
  async run(): Promise<void> {
    const runs = this.members.map(({ worker }) =>
      worker.run().catch((err: unknown) => {
        this.shutdown();
        throw err;
      }),
    );
    const settled = await Promise.allSettled(runs);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Runs the Workers until `fnOrPromise` settles, then shuts them down and returns its result. */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    let finished = false;
    const stoppedEarly = running.then(() => {
      if (!finished) throw new Error('the workers stopped before the awaited work finished');
    }) as Promise<never>;
    // Observed by the race below while it matters; afterwards its outcome is irrelevant.
    stoppedEarly.catch(() => undefined);
    try {
      return await Promise.race([typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise, stoppedEarly]);
    } finally {
      finished = true;
      this.shutdown();
      await running;
    }
  }

  /** Asks every running Worker to stop polling; `run()` resolves once in-flight tasks are done. */
  shutdown(): void {
    for (const { worker } of this.members) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** The Worker that runs workflows (on the orchestration queue), if this process serves it. */
  get orchestration(): Worker | undefined {
    return this.members.find((m) => m.kinds.includes('orchestration'))?.worker;
  }
}
