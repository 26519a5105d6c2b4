/**
 * Child process of concurrent-open.test.ts. Prints `ready`, then for each stdin line `<i> <at>`
 * opens `<dir>/db-<i>.sqlite` at wall-clock time `at` (ms since the epoch) and prints
 * `{"i": <i>, "result": "ok" | "<code>: <message>"}`. Exits when stdin closes, or after a minute
 * without it (a parent that died must not leave it running).
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteDatabase } from '../../src/governance-db/sqlite-database';

const dir = process.argv[2];
const orphaned = setTimeout(() => process.exit(2), 60_000);

async function openAt(i: number, at: number): Promise<void> {
  await sleep(Math.max(0, at - Date.now() - 5));
  // The last few milliseconds spun rather than slept: a timer wakes each child up to a
  // millisecond or more apart, and the collision needs them at the same moment.
  while (Date.now() < at) {
    /* spin */
  }
  let result = 'ok';
  try {
    await new SqliteDatabase({ path: path.join(dir, `db-${i}.sqlite`) }).close();
  } catch (err) {
    result = `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  console.log(JSON.stringify({ i, result }));
}

let queue = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [i, at] = line.split(' ').map(Number);
    queue = queue.then(() => openAt(i, at));
  })
  .on('close', () => {
    void queue.then(() => {
      clearTimeout(orphaned);
      process.exit(0);
    });
  });
console.log('ready');
