import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors';
import { createSecretSql } from './remote-source';
import { parseRemoteSources } from './remote-sources-config';
import { credentialInSourceProblem, isRemoteSource, parseRemoteUrl, remoteSourceProblem } from './remote-url';

const ALLOWED = ['s3://lake', 's3://shared/public/', 'gs://lake-gcs', 'https://data.example.org', 'http://127.0.0.1:9000'];

describe('remote source URLs', () => {
  it.each([
    ['s3://Lake/a/b.parquet', { scheme: 's3', authority: 'lake', path: '/a/b.parquet' }],
    ['gcs://bucket/x.csv', { scheme: 'gs', authority: 'bucket', path: '/x.csv' }],
    ['HTTPS://host:8443/x.csv?v=1', { scheme: 'https', authority: 'host:8443', path: '/x.csv' }],
  ])('parses %s', (spec, parsed) => {
    expect(isRemoteSource(spec)).toBe(true);
    expect(parseRemoteUrl(spec)).toEqual(parsed);
  });

  it.each(['data/flights.parquet', '/abs/s3://x', 'package:vega-datasets/data/cars.json', 'ftp://host/x'])('treats %s as not remote', (spec) => {
    expect(isRemoteSource(spec)).toBe(false);
    expect(parseRemoteUrl(spec)).toBeUndefined();
  });

  it.each([
    ['s3://lake/flights.parquet', undefined],
    ['s3://lake/2001/*.parquet', undefined],
    ['s3://shared/public/x.parquet', undefined],
    ['s3://shared/private/x.parquet', /s3:\/\/shared is not an allowed remote source/],
    ['s3://other/x.parquet', /s3:\/\/other is not an allowed remote source \(allowed: s3:\/\/lake, .*\)\. Ask an admin to add it to SLIPWAY_REMOTE_SOURCES/],
    ['gs://lake-gcs/x.parquet', undefined],
    ['gs://lake/x.parquet', /gs:\/\/lake is not an allowed/],
    ['https://data.example.org/x.csv', undefined],
    ['https://data.example.org:8443/x.csv', /https:\/\/data\.example\.org:8443 is not an allowed/],
    ['http://data.example.org/x.csv', /Plain http:\/\/ is refused unless an admin lists the http:\/\/ host itself/],
    ['http://127.0.0.1:9000/lake/x.csv', undefined],
    ['https://evil.example.com/x.csv', /https:\/\/evil\.example\.com is not an allowed/],
    ['s3://lake/../other/x.parquet', /contains a "\.\." segment/],
    ['s3:///x.parquet', /names no bucket/],
  ])('%s against the allow-list', (spec, problem) => {
    const got = remoteSourceProblem(spec, ALLOWED);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });

  it('refuses every remote source when no allow-list is configured', () => {
    expect(remoteSourceProblem('s3://lake/x.parquet', [])).toMatch(/none are allowed/);
  });

  it.each([
    ['https://user:pass@data.example.org/x.csv', /user name or password/],
    ['https://data.example.org/x.csv?X-Amz-Signature=abc&X-Amz-Credential=AKIA', /pre-signed URL is a credential/],
    ['https://storage.googleapis.com/b/x.csv?X-Goog-Signature=abc', /pre-signed/],
    ['https://data.example.org/x.csv?access_token=abc', /signature or token/],
    ['https://data.example.org/x.csv?version=3', undefined],
  ])('credentials in %s', (spec, problem) => {
    const got = credentialInSourceProblem(spec);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });
});

describe('remote source settings', () => {
  it('reads the allow-list, named secrets and the AWS variables, and keeps secrets out of JSON', () => {
    const remote = parseRemoteSources({
      SLIPWAY_REMOTE_SOURCES: 's3://lake, https://data.example.org',
      SLIPWAY_SOURCE_SECRETS: JSON.stringify({ lake: { type: 's3', scope: 's3://lake', keyId: 'AKIA1', secret: 'shh-1', endpoint: '127.0.0.1:9000', urlStyle: 'path', useSsl: false } }),
      AWS_ACCESS_KEY_ID: 'AKIA2',
      AWS_SECRET_ACCESS_KEY: 'shh-2',
      AWS_REGION: 'eu-west-1',
    });
    expect(remote.allowed).toEqual(['s3://lake', 'https://data.example.org']);
    expect(remote.secrets.map((s) => [s.name, s.scope])).toEqual([['lake', 's3://lake'], ['aws_env', 's3://']]);
    expect(JSON.stringify(remote)).not.toMatch(/shh|AKIA/);
    expect(createSecretSql(remote.secrets[0])).toBe(
      "CREATE OR REPLACE TEMPORARY SECRET lake (TYPE s3, SCOPE 's3://lake', KEY_ID 'AKIA1', SECRET 'shh-1', ENDPOINT '127.0.0.1:9000', URL_STYLE 'path', USE_SSL false)",
    );
  });

  it.each([
    [{ SLIPWAY_REMOTE_SOURCES: 'ftp://x' }, /SLIPWAY_REMOTE_SOURCES: "ftp:\/\/x" not understood/],
    [{ SLIPWAY_SOURCE_SECRETS: '{"lake": {"type": "s3", "scope": "s3://lake", "secret": "shh-3", "keyid": "x"}' }, /SLIPWAY_SOURCE_SECRETS: not valid JSON/],
    [{ SLIPWAY_SOURCE_SECRETS: '{"lake": {"type": "s3", "scope": "s3://lake", "secret": "shh-3", "keyid": "x"}}' }, /SLIPWAY_SOURCE_SECRETS\.lake: .*keyid/],
    [{ SLIPWAY_SOURCE_SECRETS: '{"lake": {"type": "s3", "scope": "lake", "secret": "shh-3"}}' }, /SLIPWAY_SOURCE_SECRETS\.lake\.scope: "lake"/],
    [{ SLIPWAY_SOURCE_SECRETS: '{"la-ke": {"type": "s3", "scope": "s3://lake"}}' }, /entry name "la-ke"/],
  ])('refuses bad settings naming the variable and never the secret: %j', (env, message) => {
    const err = (() => {
      try {
        parseRemoteSources(env);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('shh-3');
  });
});
