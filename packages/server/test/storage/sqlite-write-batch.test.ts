import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { createSqliteStorage } from '../../src/storage/sqlite-storage';
import type { Storage } from '../../src/storage/types';
import type { FsyncFn } from '../../src/storage/wal-sync';
import { tempDir } from '../support/harness';
import { contractFixtures } from './storage-contract-fixtures';

// Writes queued back to back share one SQLite transaction (a savepoint each) and one fsync
// (storage/sqlite-connection.ts), on a real SQLite file with the fsync held by the test.

type Done = (err: NodeJS.ErrnoException | null) => void;

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

function open() {
  const held: Done[] = [];
  const fsync: FsyncFn = (_fd, done) => void held.push(done);
  const file = join(tempDir(), 'dodil.db');
  const db = openDatabase(file);
  const storage = createSqliteStorage(db, { fsync });
  onTestFinished(() => storage.close());
  const releaseAll = () => {
    for (const done of held.splice(0)) done(null);
  };
  // Frames in the WAL (32-byte header, then a 24-byte header + one 4 KiB page per frame).
  const frames = () => (statSync(`${file}-wal`).size - 32) / (24 + 4096);
  return { db, storage, held, releaseAll, frames };
}

const put = (s: Storage, key: string) => s.write((tx) => s.keys.putMeta(tx, key, new Uint8Array([1])));

async function settle(promise: Promise<unknown>, releaseAll: () => void): Promise<void> {
  let done = false;
  void promise.finally(() => (done = true)).catch(() => {});
  while (!done) {
    releaseAll();
    await turns();
  }
}

test('queued writes commit together with one fsync; a failing one rolls back alone; all wait for the fsync', async () => {
  const { db, storage, held, releaseAll, frames } = open();
  await settle(put(storage, 'warm'), releaseAll);
  const framesBefore = frames();
  const count = (key: string) =>
    (db.prepare('SELECT count(*) AS n FROM meta WHERE key = ?').get(key) as { n: number }).n;
  const fsyncsBefore = held.length;
  const writes = [
    put(storage, 'a'),
    put(storage, 'b'),
    storage.write(async (tx) => {
      await storage.keys.putMeta(tx, 'c', new Uint8Array([1]));
      throw new Error('effect refused');
    }),
    put(storage, 'd'),
  ];
  const states = writes.map((w) => {
    const state = { settled: false, error: undefined as unknown };
    w.then(
      () => (state.settled = true),
      (err: unknown) => {
        state.settled = true;
        state.error = err;
      },
    );
    return state;
  });
  await turns();
  // One commit for the four, one fsync asked for; the failed one is refused at once, the rest wait.
  expect(held.length - fsyncsBefore).toBe(1);
  // One commit: the meta page went to the WAL once, not once per write.
  expect(frames() - framesBefore).toBe(1);
  expect([count('a'), count('b'), count('c'), count('d')]).toEqual([1, 1, 0, 1]);
  expect(states.map((s) => s.settled)).toEqual([false, false, true, false]);
  expect((states[2]?.error as Error).message).toBe('effect refused');
  releaseAll();
  await Promise.all([writes[0], writes[1], writes[3]]);
});

test('a statement outside a transaction, asked during a shared write transaction, runs after its COMMIT', async () => {
  const { storage, releaseAll } = open();
  await settle(put(storage, 'warm'), releaseAll);
  let read: Promise<Uint8Array | undefined> | undefined;
  let readDone = false;
  const first = storage.write(async (tx) => {
    await storage.keys.putMeta(tx, 'x', new Uint8Array([1]));
    read = storage.meta.get('y');
    void read.then(() => (readDone = true));
  });
  let seenBySecond: boolean | undefined;
  const second = storage.write(async (tx) => {
    // Still inside the shared transaction: the outside read must not have run yet.
    seenBySecond = readDone;
    await storage.keys.putMeta(tx, 'y', new Uint8Array([2]));
  });
  await settle(Promise.all([first, second]), releaseAll);
  expect(seenBySecond).toBe(false);
  // It ran after the COMMIT, so it saw the second write.
  expect(await read).toEqual(Buffer.from([2]));
});

test('slot writes asked for from separate callbacks of one event-loop turn share one commit', async () => {
  const { storage, held, releaseAll, frames } = open();
  const { org, key, slot } = contractFixtures(async () => storage);
  await settle(storage.orgs.create(org, key(1)), releaseAll);
  await settle(
    storage.slots.upsert(slot('warm'), async () => 'ok'),
    releaseAll,
  );
  const framesBefore = frames();
  const fsyncsBefore = held.length;
  // Three requests read in one poll phase: each callback asks for its own write.
  const upserts = await new Promise<Array<Promise<unknown>>>((resolve) => {
    const out: Array<Promise<unknown>> = [];
    for (const name of ['s1', 's2', 's3']) {
      setImmediate(() => {
        out.push(storage.slots.upsert(slot(name), async () => name));
        if (out.length === 3) resolve(out);
      });
    }
  });
  await turns();
  expect(held.length - fsyncsBefore).toBe(1);
  // One commit: each page they touched (slot leaf, key usage counter) went to the WAL once.
  const added = frames() - framesBefore;
  releaseAll();
  const results = await Promise.all(upserts);
  expect(results.map((r) => (r as { receipt: string }).receipt)).toEqual(['s1', 's2', 's3']);
  expect(added).toBeLessThan(3);
});
