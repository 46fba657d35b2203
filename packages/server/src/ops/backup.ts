import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { AUDIT_KEY_META, AUDIT_KEY_PURPOSE } from '../audit/audit-setup';
import { verifyAuditChain } from '../audit/audit-verify';
import {
  AUDIT_KEY_HISTORY_META,
  AUDIT_KEY_HISTORY_PURPOSE,
  decodeKeyHistory,
  keyForSeq,
} from '../audit/audit-key-history';
import type { AuditVerifyResult } from '../audit/audit-verify';
import { KEY_CHECK_META, MasterKey } from '../crypto/master-key';
import { AppError } from '../errors/app-error';
import { DATABASE_FILE } from '../storage/database';
import { createSqliteAuditStore } from '../storage/sqlite-audit-store';
import { SqliteConnection } from '../storage/sqlite-connection';

/** How the better-sqlite3 addon is found (it is handed in inside the single executable). */
export interface SqliteBinding {
  nativeBinding?: unknown;
}

function openPlain(file: string, binding: SqliteBinding, readonly: boolean): Database {
  return new BetterSqlite3(file, {
    readonly,
    fileMustExist: true,
    ...(binding.nativeBinding === undefined ? {} : { nativeBinding: binding.nativeBinding as string }),
  });
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A new, empty, owner-only file; refuses to overwrite anything. */
function createOwnerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') {
      throw new AppError('ALREADY_EXISTS', `${file} already exists; give a new file name`);
    }
    throw new AppError(
      'INVALID_ARGUMENT',
      `cannot create ${file}: ${String((err as { code?: string }).code)}`,
    );
  }
}

/** Copies the live database into `file` as one consistent snapshot (SQLite online backup). */
async function copyDatabase(source: Database, file: string, binding: SqliteBinding): Promise<void> {
  createOwnerOnly(file);
  try {
    // All remaining pages in one step under one read transaction: a consistent snapshot that a
    // busy writer in another process can't keep restarting (as it would with small steps).
    await source.backup(file, { progress: () => 0x7fffffff });
    const copy = openPlain(file, binding, false);
    try {
      // A self-contained file: no -wal next to it to forget when copying it elsewhere.
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok')
        throw new AppError('DATA_LOSS', `the copy fails its integrity check: ${String(check)}`);
    } finally {
      copy.close();
    }
    chmodSync(file, 0o600);
    fsyncPath(file);
    fsyncPath(dirname(file));
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}

/** Takes a consistent backup of an open store while it serves; the file is mode 0600. */
export async function backupDatabase(
  db: Database,
  file: string,
  binding: SqliteBinding,
): Promise<{ bytes: number }> {
  await copyDatabase(db, file, binding);
  return { bytes: statSync(file).size };
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function hasSqliteHeader(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** What a checked backup holds. */
export interface BackupCheck {
  orgs: number;
  slots: number;
  audit: AuditVerifyResult;
}

/**
 * Checks a backup file before it is restored: SQLite's integrity check, that
 * `masterKey` opens it (key check value), and its audit chain.
 */
export async function checkBackup(
  file: string,
  masterKey: Uint8Array,
  binding: SqliteBinding,
): Promise<BackupCheck> {
  if (!existsSync(file)) throw new AppError('NOT_FOUND', `no backup file ${file}`);
  if (!hasSqliteHeader(file))
    throw new AppError('INVALID_ARGUMENT', `${file} is not a dodil backup (not a SQLite file)`);
  let db: Database;
  try {
    db = openPlain(file, binding, true);
  } catch {
    throw new AppError('INVALID_ARGUMENT', `${file} is not a dodil backup (SQLite can't open it)`);
  }
  try {
    let check: unknown;
    try {
      check = db.pragma('integrity_check', { simple: true });
    } catch {
      check = 'unreadable';
    }
    if (check !== 'ok')
      throw new AppError('DATA_LOSS', `${file} fails its integrity check (${String(check)})`);
    const meta = (key: string) => {
      try {
        return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: Buffer } | undefined)
          ?.value;
      } catch {
        throw new AppError('INVALID_ARGUMENT', `${file} is not a dodil backup (no meta table)`);
      }
    };
    const master = new MasterKey(masterKey);
    const kcv = meta(KEY_CHECK_META);
    if (kcv === undefined || !master.matches(kcv)) {
      throw new AppError('FAILED_PRECONDITION', `the master key given does not open ${file}`);
    }
    const wrappedAuditKey = meta(AUDIT_KEY_META);
    let audit: AuditVerifyResult = {
      ok: false,
      firstBroken: 1,
      verified: 0,
      reason: 'the audit key is missing',
    };
    if (wrappedAuditKey !== undefined) {
      const auditKey = master.unwrap(wrappedAuditKey, AUDIT_KEY_PURPOSE);
      // Keys of earlier chain segments (rotate-master --compromised), if any.
      const wrappedHistory = meta(AUDIT_KEY_HISTORY_META);
      const history =
        wrappedHistory === undefined
          ? []
          : decodeKeyHistory(master.unwrap(wrappedHistory, AUDIT_KEY_HISTORY_PURPOSE));
      const conn = new SqliteConnection(db);
      const store = createSqliteAuditStore(conn);
      audit = await conn.transaction('DEFERRED', async (tx) =>
        verifyAuditChain(
          auditKey,
          store.iterate(tx),
          await store.readHead(tx),
          await store.readCheckpoint(tx),
          keyForSeq(history, auditKey),
        ),
      );
    }
    const count = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { orgs: count('orgs'), slots: count('slots'), audit };
  } finally {
    db.close();
  }
}

/**
 * Restores a checked backup into an empty data dir: copied next to its final
 * name, checked again, fsynced, then renamed into place (a crash leaves either
 * nothing or the whole store). `allowed` names files that may already be there
 * (the dev key file).
 */
export async function restoreInto(
  file: string,
  dataDir: string,
  allowed: readonly string[],
  binding: SqliteBinding,
): Promise<void> {
  const present = existsSync(dataDir) ? readdirSync(dataDir).filter((f) => !allowed.includes(f)) : [];
  if (present.length > 0) {
    throw new AppError(
      'FAILED_PRECONDITION',
      `data dir ${dataDir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); restore only into an empty data dir`,
    );
  }
  const target = join(dataDir, DATABASE_FILE);
  const staging = `${target}.restoring`;
  const source = openPlain(file, binding, true);
  try {
    await copyDatabase(source, staging, binding);
  } finally {
    source.close();
  }
  renameSync(staging, target);
  fsyncPath(dataDir);
}
