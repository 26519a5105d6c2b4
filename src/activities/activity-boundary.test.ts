import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DataSourceError, InvalidPipelineInputError, ServingUnavailableError } from '../errors';
import { atActivityBoundary } from './activity-boundary';

const logger = pino({ level: 'silent' });

async function failureOf(err: unknown, attempt = 1): Promise<unknown> {
  const env = new MockActivityEnvironment({ attempt });
  const activity = atActivityBoundary('failing', logger, async () => {
    throw err;
  });
  return env.run(activity, undefined).then(
    () => expect.unreachable('the activity should have failed'),
    (thrown: unknown) => thrown,
  );
}

describe('the activity boundary', () => {
  it('turns a permanent Slipway error into a non-retryable failure typed by its registry code', async () => {
    const failure = await failureOf(new DataSourceError('no rows in window', { details: { path: 'x.parquet' } }), 2);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DataSourceError', nonRetryable: true, message: 'no rows in window', details: [{ attempt: 2, path: 'x.parquet' }] });
  });

  it('keeps a transient Slipway error retryable', async () => {
    expect(await failureOf(new ServingUnavailableError('server restarting'))).toMatchObject({ type: 'ServingUnavailable', nonRetryable: false });
  });

  it('carries the problems of an invalid input in the details', async () => {
    expect(await failureOf(new InvalidPipelineInputError(['steps[0].id: bad']))).toMatchObject({
      type: 'InvalidPipelineInput',
      nonRetryable: true,
      details: [{ problems: ['steps[0].id: bad'] }],
    });
  });

  it('passes an already-shaped ApplicationFailure through unchanged', async () => {
    const shaped = ApplicationFailure.nonRetryable('as is', 'Custom');
    expect(await failureOf(shaped)).toBe(shaped);
  });

  it('retries an unexpected error under its own name', async () => {
    expect(await failureOf(new TypeError('x is undefined'))).toMatchObject({ type: 'TypeError', nonRetryable: false, details: [{ attempt: 1 }] });
  });
});
