/**
 * One pino logger for the process, and the adapter that routes the Temporal SDK's logs
 * (including replay-aware workflow `log` calls) into it.
 */
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger, type RuntimeOptions } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'slipway' },
      // Connection secrets may ride along in config objects that get logged by mistake.
      redact: { paths: ['*.apiKey', '*.password', '*.token', '*.tokens', 'config.temporal.connection', 'config.registryUrl', '*.registryUrl', '*.adminToken', '*.adminTokens', '*.labelerToken', 'req.headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pinoLog: Logger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    this.pinoLog[method](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void { this.pinoLog.trace(meta ?? {}, message); }
  debug(message: string, meta?: LogMetadata): void { this.pinoLog.debug(meta ?? {}, message); }
  info(message: string, meta?: LogMetadata): void { this.pinoLog.info(meta ?? {}, message); }
  warn(message: string, meta?: LogMetadata): void { this.pinoLog.warn(meta ?? {}, message); }
  error(message: string, meta?: LogMetadata): void { this.pinoLog.error(meta ?? {}, message); }
}

let installed = false;

/**
 * Routes SDK logs to `logger`. The Runtime is process-wide and can be installed once.
 * @param runtime further Runtime options, e.g. `telemetryOptions` (src/observability/sdk-telemetry.ts).
 * @returns true when this call installed the Runtime, false when it already was.
 */
export function installTemporalLogger(logger: Logger, runtime: Omit<RuntimeOptions, 'logger'> = {}): boolean {
  if (installed) return false;
  Runtime.install({ ...runtime, logger: new PinoTemporalLogger(logger.child({ component: 'temporal' })) });
  installed = true;
  return true;
}
