/**
 * Child process of concurrent-open.test.ts: opens `<dir>/db-<i>.sqlite` for i = 0..count-1, each
 * as soon as the parent creates `<dir>/go-<i>`, so every child opens the same fresh file at the
 * same moment. Prints `ready` once loaded, then one JSON line: per file, `ok` or the error.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SqliteDatabase } from '../../src/governance-db/sqlite-database';

async function main(): Promise<void> {
  const [dir, count] = [process.argv[2], Number(process.argv[3])];
  console.log('ready');
  const results: string[] = [];
  for (let i = 0; i < count; i++) {
    const go = path.join(dir, `go-${i}`);
    // Spinning, not polling on a timer: the children must all leave this loop within microseconds.
    while (!existsSync(go)) {
      /* wait for the parent */
    }
    try {
      await new SqliteDatabase({ path: path.join(dir, `db-${i}.sqlite`) }).close();
      results.push('ok');
    } catch (err) {
      results.push(`${(err as { code?: string }).code}: ${(err as Error).message}`);
    }
  }
  console.log(JSON.stringify(results));
}

void main();
