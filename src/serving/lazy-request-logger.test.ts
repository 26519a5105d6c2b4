import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './lazy-request-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info', redact: ['token'] }, stream);
  return { logger, lines };
}

describe('lazyRequestLogger', () => {
  it('makes no pino child until the request logs', () => {
    const { logger } = capture();
    let children = 0;
    const counting = Object.create(logger) as typeof logger;
    counting.child = ((...args: Parameters<typeof logger.child>) => (children++, logger.child(...args))) as typeof logger.child;
    const log = lazyRequestLogger(counting, { reqId: 'req-1' }, {});
    expect(log.level).toBe('info');
    expect(children).toBe(0);
    log.error({ model: 'm' }, 'prediction failed');
    log.warn('again');
    expect(children).toBe(1);
  });

  it('writes the line the eager child would have, with the request id, redaction and the level', async () => {
    const { logger, lines } = capture();
    const log = lazyRequestLogger(logger, { reqId: 'req-2' }, {});
    log.error({ model: 'm', token: 'secret' }, 'prediction failed');
    log.debug('below the level');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'req-2', model: 'm', token: '[Redacted]', msg: 'prediction failed', level: 50 });
  });

  it('honours a route log level passed as an option', () => {
    const { logger } = capture();
    const log = lazyRequestLogger(logger, { reqId: 'req-3' }, { level: 'error' });
    expect(log.level).toBe('error');
  });
});
