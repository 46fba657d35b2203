import { fstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { createSqliteStorage } from '../../src/storage/sqlite-storage';
import type { Storage } from '../../src/storage/types';
import { WalSyncError } from '../../src/storage/wal-sync';
import type { FsyncFn } from '../../src/storage/wal-sync';
import { tempDir } from '../support/harness';
import { contractFixtures } from './storage-contract-fixtures';

// The WAL fsync of the server's connection (docs/performance.md#the-wal-fsync-off-the-event-loop-issue-14),
// on real SQLite files with the fsync held by the test: an acknowledgement waits for an fsync
// that began after its commit, a failed one fails the caller, and the fd follows the live WAL.

interface HeldCall {
  fd: number;
  done: (err: NodeJS.ErrnoException | null) => void;
}

/** An fsync that waits until the test releases it (or fails it). */
function heldFsync() {
  const calls: HeldCall[] = [];
  const fsync: FsyncFn = (fd, done) => void calls.push({ fd, done });
  return { calls, fsync };
}

/** The oldest fsync waiting (a test error when none is). */
function first(calls: HeldCall[]): HeldCall {
  const call = calls[0];
  if (call === undefined) throw new Error('no fsync is waiting');
  return call;
}

/** Removes and returns the oldest fsync waiting. */
function take(calls: HeldCall[]): HeldCall {
  const call = first(calls);
  calls.shift();
  return call;
}

/** Lets the event loop run (I/O callbacks, timers, immediates) a few times. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Watches a promise without awaiting it. */
function watch<T>(promise: Promise<T>) {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined };
  promise.then(
    () => (state.settled = true),
    (err: unknown) => {
      state.settled = true;
      state.error = err;
    },
  );
  return state;
}

function open(fsync: FsyncFn) {
  const file = join(tempDir(), 'dodil.db');
  const db = openDatabase(file);
  const storage = createSqliteStorage(db, { fsync });
  onTestFinished(() => storage.close());
  return { db, storage, wal: `${file}-wal` };
}

const putMeta = (s: Storage, key: string) => s.write((tx) => s.keys.putMeta(tx, key, new Uint8Array([1])));

/** Releases held fsyncs until `promise` settles (the first sync also syncs the directory). */
async function releaseUntil(calls: HeldCall[], promise: Promise<unknown>): Promise<void> {
  const state = watch(promise);
  for (let i = 0; i < 10 && !state.settled; i++) {
    await turns();
    for (const call of calls.splice(0)) call.done(null);
    await turns();
  }
  await promise;
}

test('a write transaction resolves only after the WAL fsync that follows its commit (then the directory)', async () => {
  const held = heldFsync();
  const { db, storage, wal } = open(held.fsync);
  expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL: COMMIT itself no longer fsyncs
  const write = putMeta(storage, 'first');
  const state = watch(write);
  await turns();
  expect(held.calls).toHaveLength(1);
  expect(fstatSync(first(held.calls).fd).ino).toBe(statSync(wal).ino);
  expect(state.settled).toBe(false);
  // Committed (visible on the connection) but not acknowledged.
  expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key = 'first'").get()).toEqual({ n: 1 });
  take(held.calls).done(null);
  await turns();
  // A new -wal file's name is made durable too: its directory is synced before the first ack.
  expect(held.calls).toHaveLength(1);
  expect(fstatSync(first(held.calls).fd).isDirectory()).toBe(true);
  expect(state.settled).toBe(false);
  take(held.calls).done(null);
  await write;
  // The next write syncs the WAL alone.
  const second = putMeta(storage, 'second');
  await turns();
  expect(held.calls).toHaveLength(1);
  expect(watch(second).settled).toBe(false);
  take(held.calls).done(null);
  await second;
});

test('writes outside a transaction wait for the fsync too; token last use (best effort) does not', async () => {
  const held = heldFsync();
  const { storage } = open(held.fsync);
  const { org, key } = contractFixtures(async () => storage);
  await releaseUntil(held.calls, storage.orgs.create(org, key(1)));
  const token = {
    id: 'tok1',
    orgId: org.id,
    name: 'ci',
    hash: new Uint8Array(32),
    scopes: ['secrets:read'],
    createdAtMs: 1,
    expiresAtMs: undefined,
    revokedAtMs: undefined,
  };
  const writes: Array<[string, () => Promise<unknown>]> = [
    ['meta.putIfAbsent', () => storage.meta.putIfAbsent('k', new Uint8Array([2]))],
    ['tokens.create', () => storage.tokens.create(token)],
    ['tokens.revoke', () => storage.tokens.revoke('tok1', 5)],
    [
      'sessions.create',
      () =>
        storage.sessions.create({
          idHash: new Uint8Array(32),
          tokenId: 'tok1',
          sealedToken: new Uint8Array([1]),
          createdAtMs: 1,
          expiresAtMs: 2,
        }),
    ],
    ['sessions.deleteExpired', () => storage.sessions.deleteExpired(10)],
    ['trusts.useJti', () => storage.trusts.useJti('https://issuer', 'jti-1', 100, 1)],
  ];
  for (const [name, write] of writes) {
    const pending = write();
    const state = watch(pending);
    await turns();
    expect(held.calls, name).toHaveLength(1);
    expect(state.settled, name).toBe(false);
    take(held.calls).done(null);
    await pending;
  }
  await storage.tokens.touch('tok1', 7);
  expect(held.calls).toHaveLength(0);
});

test('a failed fsync fails its callers, and every later write, without BEGIN; the store is not ready', async () => {
  const held = heldFsync();
  const { db, storage } = open(held.fsync);
  await releaseUntil(held.calls, putMeta(storage, 'ok'));
  const first = putMeta(storage, 'a');
  const firstState = watch(first);
  await turns();
  const queued = putMeta(storage, 'b'); // committed while the fsync runs: waits for the next one
  await turns();
  expect(held.calls).toHaveLength(1);
  take(held.calls).done(Object.assign(new Error('EIO'), { code: 'EIO' }));
  await expect(first).rejects.toThrow(WalSyncError);
  await expect(queued).rejects.toThrow(/fsync of the WAL failed: EIO/);
  expect(firstState.error).toBeInstanceOf(WalSyncError);
  // Sticky: the kernel may have dropped what it failed to write, so nothing more is acknowledged.
  await expect(putMeta(storage, 'c')).rejects.toThrow(WalSyncError);
  expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key = 'c'").get()).toEqual({ n: 0 });
  await expect(storage.meta.putIfAbsent('d', new Uint8Array([1]))).rejects.toThrow(WalSyncError);
  await expect(storage.ping()).rejects.toThrow(WalSyncError);
  expect(held.calls).toHaveLength(0);
});

test('commits made during an fsync share the next one, and none resolves on the fsync that began before it', async () => {
  const held = heldFsync();
  const { db, storage } = open(held.fsync);
  await releaseUntil(held.calls, putMeta(storage, 'warm'));
  const first = putMeta(storage, 'w0');
  await turns();
  expect(held.calls).toHaveLength(1);
  const during = Array.from({ length: 8 }, (_, i) => putMeta(storage, `w${i + 1}`));
  const states = during.map(watch);
  await turns();
  // All eight committed while the first fsync was held: the turn is released before the sync.
  expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key LIKE 'w%'").get()).toEqual({ n: 10 });
  expect(held.calls).toHaveLength(1);
  take(held.calls).done(null);
  await first;
  await turns();
  // The first fsync may have begun before their commits: they wait for the second, one for all.
  expect(states.every((s) => !s.settled)).toBe(true);
  expect(held.calls).toHaveLength(1);
  take(held.calls).done(null);
  await Promise.all(during);
  expect(held.calls).toHaveLength(0);
});

test('the fd follows the live WAL: a new -wal inode is reopened (and its directory synced), a missing one fails', async () => {
  const held = heldFsync();
  const { db, storage, wal } = open(held.fsync);
  await releaseUntil(held.calls, putMeta(storage, 'before'));
  const oldIno = statSync(wal).ino;
  // Leaving WAL mode deletes the -wal file; coming back makes a new one at the next write.
  expect(db.pragma('journal_mode = DELETE', { simple: true })).toBe('delete');
  expect(db.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
  const write = putMeta(storage, 'after');
  await turns();
  expect(held.calls).toHaveLength(1);
  const newIno = statSync(wal).ino;
  expect(newIno).not.toBe(oldIno);
  expect(fstatSync(first(held.calls).fd).ino).toBe(newIno);
  take(held.calls).done(null);
  await turns();
  expect(fstatSync(first(held.calls).fd).isDirectory()).toBe(true);
  take(held.calls).done(null);
  await write;
  // A write with no -wal file at all is refused, never acknowledged on a stale fd.
  expect(db.pragma('journal_mode = DELETE', { simple: true })).toBe('delete');
  await expect(putMeta(storage, 'no-wal')).rejects.toThrow(/WAL file is missing/);
  expect(held.calls).toHaveLength(0);
});
