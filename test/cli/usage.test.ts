/** The command line's own contract, without a Temporal server: version, usage errors, exit statuses. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { version } from '../../package.json';

const BIN = path.join(__dirname, '..', '..', 'bin', 'slipway');
const slipway = (args: string[]) =>
  promisify(execFile)(BIN, args, { timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('slipway command line', () => {
  it('prints its version with --version', async () => {
    expect(await slipway(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['run'], /give a named pipeline \(slipway run flight-delay\) or a pipeline file \(slipway run -f my-pipeline\.yaml\), not both/],
    [['run', 'flight-delay', '-f', 'my-pipeline.yaml'], /give a named pipeline .* or a pipeline file .*, not both/],
    [['run', '-f', '/nonexistent/my-pipeline.yaml'], /^slipway: -f \/nonexistent\/my-pipeline\.yaml: no such file\n$/],
    [['runs', '--nope'], /unknown option '--nope'/],
  ])('exits 2 on the usage error %j, naming it', async (args, message) => {
    const r = await slipway(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
