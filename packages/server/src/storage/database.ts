import { closeSync, existsSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { benchPragmas } from '../build/bench-variants';
import { migrate } from './migrations';

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** The loaded better-sqlite3 addon, when it can't be `require`d (single executables). */
  nativeBinding?: unknown;
  readonly?: boolean;
}

/** The file name of the store inside the data directory. */
export const DATABASE_FILE = 'dodil.db';

/**
 * Opens (and migrates) the SQLite store. WAL lets the admin CLI and backups
 * read while the server writes; `synchronous = FULL` makes every acknowledged
 * commit durable across power loss, which a secrets store owes its users. (The
 * server's own connection then switches to NORMAL plus an awaited WAL fsync
 * off the event loop, just as durable: see createSqliteStorage.)
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  // Create the file owner-only first: SQLite gives the -wal and -shm files the same mode.
  if (!options.readonly && file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const db = new BetterSqlite3(file, {
    readonly: options.readonly ?? false,
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding as string }),
  });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(
      typeof __DODIL_BENCH_NO_FSYNC__ === 'boolean' && __DODIL_BENCH_NO_FSYNC__
        ? 'synchronous = NORMAL /* bench variant no-fsync */'
        : 'synchronous = FULL',
    );
  }
  db.pragma('foreign_keys = ON');
  for (const pragma of benchPragmas()) db.pragma(pragma);
  if (!options.readonly) migrate(db);
  return db;
}
