/**
 * Bounded concurrency for predictions: up to `maxConcurrent` run at once, up to `maxQueue`
 * more wait (at most `maxWaitMs`), and anything beyond is turned away at once so the
 * caller can answer 503 instead of letting latency and memory grow without bound.
 */

export interface AdmissionOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** @default 1000 */
  maxWaitMs?: number;
}

interface Waiter {
  resolve: (admitted: boolean) => void;
  timer: NodeJS.Timeout;
}

export class Admission {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly maxWaitMs: number;

  constructor(private readonly options: AdmissionOptions) {
    this.maxWaitMs = options.maxWaitMs ?? 1000;
  }

  /** Takes a slot without waiting; false when all are busy. */
  tryEnter(): boolean {
    if (this.running < this.options.maxConcurrent) {
      this.running++;
      return true;
    }
    return false;
  }

  /**
   * Waits for a slot; resolves false at once when the queue is full, or after `maxWaitMs`.
   * On true the caller holds a slot and must call {@link leave}.
   */
  wait(): Promise<boolean> {
    if (this.tryEnter()) return Promise.resolve(true);
    if (this.waiting.length >= this.options.maxQueue) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        }, this.maxWaitMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Gives a slot back, handing it straight to the oldest waiter if there is one. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(true);
    } else {
      this.running--;
    }
  }

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
