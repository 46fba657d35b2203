import { closeSync, fstatSync, fsync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** `fs.fsync`'s shape: runs on libuv's thread pool, calls back when the disk has the data. */
export type FsyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/** A WAL sync failed: nothing committed since the last good one may be acknowledged. */
export class WalSyncError extends Error {
  override readonly name = 'WalSyncError';
}

interface Waiter {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function waiter(): Waiter {
  let resolve = () => {};
  let reject: (err: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Makes commits of a WAL database with `synchronous = NORMAL` durable off the
 * event loop: {@link sync}, called right after a COMMIT, resolves once an
 * fsync of the `-wal` file that began after that COMMIT has completed (the
 * fsync runs on libuv's thread pool). That is what `synchronous = FULL` does
 * inside COMMIT in WAL mode, so "acknowledged" still means "on disk"; the
 * argument is in docs/performance.md#the-wal-fsync-off-the-event-loop-issue-14.
 *
 * One fsync is in flight at a time; every commit made while it runs shares
 * the next one (group commit). The fd always refers to the file at the WAL's
 * path: its inode is compared before each fsync and the file reopened (and
 * the directory synced, so the new name survives power loss) when it changed;
 * a missing WAL fails the sync rather than being skipped. A failed fsync is
 * sticky: the kernel may have dropped the pages it could not write, so a
 * later fsync succeeding would prove nothing, and every later sync fails.
 */
export class WalSync {
  #fd: number | undefined;
  #ino = -1;
  #dev = -1;
  #dirSynced = false;
  #running: Promise<void> | undefined;
  #next: Waiter | undefined;
  #failed: WalSyncError | undefined;
  /** How many fsyncs ran (tests, metrics). */
  fsyncs = 0;

  constructor(
    /** The `-wal` file's path (the database's real path plus `-wal`). */
    readonly walFile: string,
    private readonly fsyncFn: FsyncFn = fsync,
  ) {}

  /** Set once an fsync failed: the store must not acknowledge anything more. */
  get failure(): WalSyncError | undefined {
    return this.#failed;
  }

  /** Resolves once everything committed before this call is on disk; rejects when it can't be. */
  sync(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    // The running fsync may have started before the caller's COMMIT: wait for the next one.
    if (this.#running !== undefined) {
      this.#next ??= waiter();
      return this.#next.promise;
    }
    return this.#start();
  }

  /** Resolves once no fsync is running or queued (close waits for it). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running.catch(() => {});
  }

  /** Closes the fd (after the connection closed: SQLite may have deleted the WAL by then). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #start(): Promise<void> {
    const running = this.#fsyncLive().then(
      () => this.#settled(undefined),
      (err: unknown) => {
        const failure =
          err instanceof WalSyncError
            ? err
            : new WalSyncError(`fsync of the WAL failed: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
        this.#failed = failure;
        this.#settled(failure);
        throw failure;
      },
    );
    this.#running = running;
    return running;
  }

  #settled(failure: WalSyncError | undefined): void {
    this.#running = undefined;
    const next = this.#next;
    if (next === undefined) return;
    this.#next = undefined;
    if (failure !== undefined) next.reject(failure);
    else this.#start().then(next.resolve, next.reject);
  }

  async #fsyncLive(): Promise<void> {
    const fd = this.#liveFd();
    this.fsyncs++;
    await this.#fsyncFd(fd);
    if (!this.#dirSynced) {
      // A new -wal file's directory entry is only durable once the directory is synced (SQLite
      // does this itself at a new WAL's first sync, which with NORMAL waits for a checkpoint).
      const dir = openSync(dirname(this.walFile), 'r');
      try {
        await this.#fsyncFd(dir);
      } finally {
        closeSync(dir);
      }
      this.#dirSynced = true;
    }
  }

  #fsyncFd(fd: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.fsyncFn(fd, (err) => (err === null ? resolve() : reject(err)));
    });
  }

  // The fd of the file now at the WAL's path, reopened when that is another inode (the WAL was
  // deleted and made again: journal mode changed, or every connection closed). Checked before
  // each fsync because syncing a file SQLite no longer writes would acknowledge nothing safely.
  // Comparing inode numbers is sound: ours stays allocated while our fd holds it, so a new file
  // can't reuse it.
  #liveFd(): number {
    const now = statSync(this.walFile, { throwIfNoEntry: false });
    if (now === undefined) throw new WalSyncError('the WAL file is missing; nothing can be made durable');
    if (this.#fd !== undefined && now.ino === this.#ino && now.dev === this.#dev) return this.#fd;
    this.close();
    const fd = openSync(this.walFile, 'r');
    const opened = fstatSync(fd);
    this.#fd = fd;
    this.#ino = opened.ino;
    this.#dev = opened.dev;
    this.#dirSynced = false;
    return fd;
  }
}
