import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '../errors/app-error';
import { DATABASE_FILE, openDatabase } from '../storage/database';
import type { PgStorage } from '../storage/pg/pg-storage';
import { openPgDatabase } from '../storage/pg/pg-database';
import { migratePg } from '../storage/pg/pg-schema';
import { StoreCopyError, copyPgToSqlite, copySqliteToPg } from '../storage/pg/pg-store-copy';
import { restoreInto } from './backup';
import type { SqliteBinding } from './backup';

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The backup of a PostgreSQL store, in the one portable format: a dodil SQLite store file (the
 * same file `backup` writes on the embedded engine), copied from one REPEATABLE READ snapshot
 * while the replicas keep serving. `restore` puts it into either engine. Mode 0600; refuses to
 * overwrite; written beside its name and renamed into place, so a crash leaves no half file.
 */
export async function backupPgStore(
  storage: PgStorage,
  file: string,
  binding: SqliteBinding,
): Promise<{ bytes: number }> {
  if (existsSync(file)) throw new AppError('ALREADY_EXISTS', `${file} already exists; give a new file name`);
  const staging = `${file}.writing`;
  rmSync(staging, { force: true });
  try {
    const db = openDatabase(staging, binding);
    try {
      await copyPgToSqlite(storage.db, db);
      // A self-contained file: no -wal next to it to forget when copying it elsewhere.
      db.pragma('journal_mode = DELETE');
    } finally {
      db.close();
    }
    chmodSync(staging, 0o600);
    fsyncPath(staging);
    if (existsSync(file))
      throw new AppError('ALREADY_EXISTS', `${file} already exists; give a new file name`);
    renameSync(staging, file);
    fsyncPath(dirname(file));
  } finally {
    rmSync(staging, { force: true });
    rmSync(`${staging}-wal`, { force: true });
    rmSync(`${staging}-shm`, { force: true });
  }
  return { bytes: statSync(file).size };
}

/**
 * Restores a checked backup file (any release's, 0.1.0's raw SQLite files included) into an empty
 * PostgreSQL database: the file is copied into a private temp dir, migrated to this release's
 * schema there (the original is never written), and its rows copied in one transaction.
 */
export async function restoreIntoPg(file: string, url: string, binding: SqliteBinding): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), 'dodil-restore-'));
  try {
    await restoreInto(file, staging, [], binding);
    const source = openDatabase(join(staging, DATABASE_FILE), binding);
    const pg = openPgDatabase(url);
    try {
      await migratePg(pg);
      await copySqliteToPg(source, pg);
    } catch (err) {
      if (err instanceof StoreCopyError) throw new AppError('FAILED_PRECONDITION', err.message);
      throw err;
    } finally {
      source.close();
      await pg.close();
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
