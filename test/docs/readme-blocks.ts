/**
 * The shell blocks of one README section, as a reader would copy them: every ```bash fence in the
 * section must sit right under a `<!-- <prefix>:<name> -->` marker, so what a test runs is
 * exactly what the README shows, and an unmarked block (one the test would silently skip) is an
 * error rather than a gap.
 */
export interface ReadmeBlock {
  /** The marker's name, e.g. `binary`. */
  name: string;
  /** The block's text, without the fences. */
  code: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

/**
 * @param markdown the README's text
 * @param heading the section's `## ` heading line, exactly
 * @param prefix the markers' prefix, e.g. `quickstart` for `<!-- quickstart:binary -->`
 * @throws Error when the section is missing, a bash block has no marker, a marker no block, or a fence is unclosed
 */
export function sectionBlocks(markdown: string, heading: string, prefix: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README has no "${heading}" section`);
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const marker = new RegExp(`^<!-- ${prefix}:([a-z][a-z0-9-]*) -->$`);
  const blocks: ReadmeBlock[] = [];
  for (let i = start + 1; i < end; i++) {
    const named = marker.exec(lines[i]);
    if (named && lines[i + 1] !== '```bash') throw new Error(`README line ${i + 1}: marker "${named[1]}" is not directly above a \`\`\`bash block`);
    if (!lines[i].startsWith('```') || lines[i] === '```') continue;
    const above = marker.exec(lines[i - 1] ?? '');
    if (lines[i] === '```bash' && !above) throw new Error(`README line ${i + 1}: a bash block in "${heading}" without a <!-- ${prefix}:<name> --> marker above it`);
    const close = lines.findIndex((l, j) => j > i && l === '```');
    if (close < 0 || close >= end) throw new Error(`README line ${i + 1}: the block is not closed within the section`);
    if (above) blocks.push({ name: above[1], code: lines.slice(i + 1, close).join('\n'), line: i + 1 });
    i = close;
  }
  return blocks;
}
