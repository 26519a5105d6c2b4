/**
 * Fastify's per-request child logger, made only when something logs. Fastify builds a pino
 * child with the request id for every request, and with the logger's `redact` paths that cost
 * ≈ 2% of the model server's CPU at peak (a CPU profile of `/v1` predictions), while the hot
 * routes log only on failure. The child made on first use carries the same `reqId` binding, so
 * a failure's log line is the one Fastify's own child would have written.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

type Args = [obj: unknown, msg?: string, ...args: unknown[]];

class LazyRequestLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): LevelWithSilentOrString {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.log.level = level;
  }

  fatal(...args: Args): void {
    (this.log.fatal as (...a: Args) => void)(...args);
  }
  error(...args: Args): void {
    (this.log.error as (...a: Args) => void)(...args);
  }
  warn(...args: Args): void {
    (this.log.warn as (...a: Args) => void)(...args);
  }
  info(...args: Args): void {
    (this.log.info as (...a: Args) => void)(...args);
  }
  debug(...args: Args): void {
    (this.log.debug as (...a: Args) => void)(...args);
  }
  trace(...args: Args): void {
    (this.log.trace as (...a: Args) => void)(...args);
  }
  silent(...args: Args): void {
    (this.log.silent as (...a: Args) => void)(...args);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the request's logger, its pino child made on first use. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
