import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '../support/harness';

const source = join(__dirname, '../../src/cli/heap-limits.ts');
const MiB = 1024 * 1024;

/**
 * A child node (real V8, its own heap) that keeps a sliding window of live objects, the way a
 * loaded server keeps requests in flight, for a fixed amount of work, yielding to the event loop
 * between batches as a server does between turns. Prints the largest new space it saw.
 */
function largestNewSpace(limit: boolean): number {
  const dir = tempDir();
  const script = join(dir, 'churn.mts');
  writeFileSync(
    script,
    `import { getHeapSpaceStatistics } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import { limitHeapGrowth } from ${JSON.stringify(source)};
if (${String(limit)}) limitHeapGrowth();
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let window = [];
let largest = 0;
for (let turn = 0; turn < 1500; turn++) {
  for (let i = 0; i < 1000; i++) {
    window.push({ turn, i, tags: [turn, i], name: 'object ' + i });
    if (window.length > 40000) window = window.slice(20000);
  }
  largest = Math.max(largest, newSpace());
  await sleep(1);
}
process.stdout.write(String(largest));
`,
  );
  return Number(execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' }));
}

test('without the limits V8 grows the young generation under this churn (the test can tell)', () => {
  expect(largestNewSpace(false)).toBeGreaterThan(8 * MiB);
});

test('limitHeapGrowth keeps the new space at 2 × 2 MiB semi-spaces under the same churn', () => {
  const largest = largestNewSpace(true);
  expect(largest).toBeLessThanOrEqual(4 * MiB);
  // It still grows past V8's smallest young generation once the work starts.
  expect(largest).toBeGreaterThan(2 * MiB);
});
