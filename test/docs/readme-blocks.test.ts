/**
 * Extracting a README section's marked shell blocks: what the quickstart test runs must be
 * exactly and only what the section shows, so an unmarked or stray block is an error.
 */
import { describe, expect, it } from 'vitest';
import { sectionBlocks } from './readme-blocks';

const FENCE = '```';
const doc = (...lines: string[]) => ['# T', '', '## Intro', `${FENCE}bash`, 'make demo', FENCE, ...lines, '## Next', `${FENCE}bash`, 'not ours', FENCE].join('\n');

describe('README section blocks', () => {
  it('returns the marked bash blocks of the section only, in order, with their lines', () => {
    const md = doc('## Quick', 'text', '<!-- quick:one -->', `${FENCE}bash`, 'echo 1', "cat <<'Y'", 'a: b', 'Y', FENCE, `${FENCE}yaml`, 'x: 1', FENCE, '<!-- quick:two -->', `${FENCE}bash`, 'echo 2', FENCE);
    expect(sectionBlocks(md, '## Quick', 'quick')).toEqual([
      { name: 'one', code: "echo 1\ncat <<'Y'\na: b\nY", line: 10 },
      { name: 'two', code: 'echo 2', line: 20 },
    ]);
  });

  it.each([
    ['a bash block without a marker', doc('## Quick', `${FENCE}bash`, 'echo 1', FENCE), /line 8: a bash block in "## Quick" without a <!-- quick:<name> --> marker/],
    ['a marker with no block under it', doc('## Quick', '<!-- quick:one -->', '', `${FENCE}bash`, 'echo 1', FENCE), /line 8: marker "one" is not directly above/],
    ['a block left open', doc('## Quick', '<!-- quick:one -->', `${FENCE}bash`, 'echo 1'), /line 9: the block is not closed within the section/],
    ['a missing section', doc(), /README has no "## Quick" section/],
  ])('refuses %s', (_what, md, message) => {
    expect(() => sectionBlocks(md, '## Quick', 'quick')).toThrow(message);
  });
});
