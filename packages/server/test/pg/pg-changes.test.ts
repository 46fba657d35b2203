import { expect, onTestFinished, test } from 'vitest';
import { publishChange, readChangeCounter, watchChanges } from '../../src/storage/pg/pg-changes';
import type { ChangeKind } from '../../src/storage/pg/pg-changes';
import { openPgDatabase } from '../../src/storage/pg/pg-database';
import { migratePg } from '../../src/storage/pg/pg-schema';
import { pgTestDatabase } from '../support/pg';

async function until(cond: () => boolean, ms = 5000): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

async function setup() {
  const url = await pgTestDatabase();
  const db = openPgDatabase(url);
  onTestFinished(() => db.close());
  await migratePg(db);
  const watch = (seen: ChangeKind[], pollMs?: number) => {
    const w = watchChanges({
      url,
      onChange: (k) => seen.push(k),
      readCounter: () => readChangeCounter(db),
      ...(pollMs ? { pollMs } : {}),
    });
    onTestFinished(() => w.close());
    return w;
  };
  return { url, db, watch };
}

test('a committed change reaches every watcher; a rolled-back one reaches none', async () => {
  const { db, watch } = await setup();
  const a: ChangeKind[] = [];
  const b: ChangeKind[] = [];
  watch(a);
  watch(b);
  await until(() => a.includes('all') && b.includes('all')); // connected (a connect flushes)
  await db
    .transaction(async (tx) => {
      await publishChange(tx, 'org-key');
      throw new Error('roll back');
    })
    .catch(() => undefined);
  await db.transaction((tx) => publishChange(tx, 'token'));
  const delay = await until(() => a.includes('token') && b.includes('token'));
  expect(delay).toBeLessThan(1000);
  expect([...a, ...b]).not.toContain('org-key');
});

test('a watcher whose session is killed reconnects and flushes; the poll covers the gap', async () => {
  const { db, watch } = await setup();
  const seen: ChangeKind[] = [];
  watch(seen, 200);
  await until(() => seen.includes('all'));
  seen.length = 0;
  await db.exec(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dodil-server-listen' AND datname = current_database()`,
  );
  await db.transaction((tx) => publishChange(tx, 'token'));
  // Either the poll sees the counter move, or the reconnect flushes: both say "all".
  await until(() => seen.includes('all'));
  seen.length = 0;
  await db.transaction((tx) => publishChange(tx, 'master-key'));
  await until(() => seen.includes('master-key'));
});
