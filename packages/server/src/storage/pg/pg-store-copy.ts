import type { Database } from 'better-sqlite3';
import type { PgDatabase, PgQueryable } from './pg-database';
import { publishChange } from './pg-changes';

/**
 * The tables an engine-to-engine copy carries, parents first. Both engines use the same table
 * and column names, so one copier serves migrate-store (SQLite → PostgreSQL), backup of a
 * PostgreSQL store (→ the portable SQLite file) and restore into PostgreSQL (SQLite file →).
 * Rows are copied byte for byte: ciphertexts, wrapped keys, token hashes and the audit chain
 * (MACs, head) are unchanged, so `audit verify` passes on the target with the same master key.
 */
export const COPIED_TABLES: readonly { table: string; columns: readonly string[]; order: string }[] = [
  { table: 'meta', columns: ['key', 'value'], order: 'key' },
  { table: 'orgs', columns: ['id', 'name', 'current_key_version', 'created_at_ms'], order: 'id' },
  {
    table: 'org_keys',
    columns: ['org_id', 'version', 'wrapped', 'encryptions', 'created_at_ms'],
    order: 'org_id, version',
  },
  {
    table: 'slots',
    columns: [
      'org_id',
      'name',
      'type',
      'registry_host',
      'key_version',
      'ciphertext',
      'created_at_ms',
      'updated_at_ms',
    ],
    order: 'org_id, name',
  },
  {
    table: 'tokens',
    columns: [
      'id',
      'org_id',
      'name',
      'hash',
      'scopes',
      'created_at_ms',
      'expires_at_ms',
      'revoked_at_ms',
      'grants',
      'parent_id',
      'trust_id',
      'last_used_at_ms',
    ],
    order: 'id',
  },
  {
    table: 'oidc_trusts',
    columns: [
      'id',
      'org_id',
      'name',
      'issuer',
      'jwks_url',
      'jwks_json',
      'audience',
      'claims',
      'scopes',
      'grants',
      'ttl_ms',
      'allow_reexchange',
      'created_at_ms',
    ],
    order: 'id',
  },
  { table: 'oidc_used_jti', columns: ['issuer', 'jti', 'expires_at_ms'], order: 'issuer, jti' },
  {
    table: 'audit_log',
    columns: [
      'seq',
      'time_ms',
      'request_id',
      'token_id',
      'org_id',
      'org',
      'action',
      'slot',
      'code',
      'client_address',
      'detail',
      'mac',
    ],
    order: 'seq',
  },
];

const PG_TYPES: Record<string, string> = {
  value: 'bytea',
  wrapped: 'bytea',
  ciphertext: 'bytea',
  hash: 'bytea',
  mac: 'bytea',
  current_key_version: 'integer',
  version: 'integer',
  key_version: 'integer',
  encryptions: 'bigint',
  created_at_ms: 'bigint',
  updated_at_ms: 'bigint',
  expires_at_ms: 'bigint',
  revoked_at_ms: 'bigint',
  last_used_at_ms: 'bigint',
  ttl_ms: 'bigint',
  allow_reexchange: 'integer',
  time_ms: 'bigint',
  seq: 'bigint',
};

/** Rows per INSERT: large enough to make a copy quick, small enough to keep messages modest. */
const BATCH = 500;

/** Thrown when a copy would lose data (a non-empty table this release can't carry) or overwrite some. */
export class StoreCopyError extends Error {
  override readonly name = 'StoreCopyError';
}

/** Row counts per table of a copy. */
export type CopyCounts = Record<string, number>;

/**
 * Non-empty SQLite tables no copier here knows (added by a newer release or another feature):
 * copying without them would silently drop data, so callers refuse.
 */
export function unknownSqliteTables(db: Database): string[] {
  const known = new Set(COPIED_TABLES.map((t) => t.table));
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .all() as Array<{ name: string }>;
  return (
    tables
      .map((t) => t.name)
      // Console sessions are not carried: they are bound to one store's tokens and users sign in again.
      .filter((name) => !known.has(name) && !name.startsWith('audit_log_archive_') && name !== 'ui_sessions')
      .filter((name) => db.prepare(`SELECT 1 FROM "${name.replace(/"/g, '""')}" LIMIT 1`).get() !== undefined)
  );
}

async function insertRows(
  tx: PgQueryable,
  table: string,
  columns: readonly string[],
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  // unnest of one array per column: one statement per batch, whatever the row count.
  const arrays = columns.map((c) => rows.map((r) => r[c] ?? null));
  const casts = columns.map((c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text'}[]`).join(', ');
  await tx.exec(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${casts})`, arrays);
}

/**
 * Copies a (migrated, current-schema) SQLite store into an empty, migrated PostgreSQL database in
 * one transaction: all or nothing. Refuses a target that holds any org, token, slot, audit entry
 * or meta row, and a source with data in tables this release can't carry.
 */
export async function copySqliteToPg(source: Database, target: PgDatabase): Promise<CopyCounts> {
  const unknown = unknownSqliteTables(source);
  if (unknown.length > 0) {
    throw new StoreCopyError(
      `the store holds data this release cannot copy (tables ${unknown.join(', ')}); nothing was copied`,
    );
  }
  const counts: CopyCounts = {};
  // One read transaction on the source: a consistent snapshot even if a server still writes to it.
  source.exec('BEGIN');
  try {
    await target.transaction(async (tx) => {
      for (const { table } of COPIED_TABLES) {
        const rows = await tx.rows<{ n: number }>(
          `copy_count_${table}`,
          `SELECT count(*)::int AS n FROM ${table}`,
        );
        if ((rows[0]?.n ?? 0) > 0) {
          throw new StoreCopyError(
            `the target database is not empty (table ${table} has rows); migrate only into an empty database`,
          );
        }
      }
      for (const { table, columns, order } of COPIED_TABLES) {
        const stmt = source.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order}`);
        let batch: Array<Record<string, unknown>> = [];
        let n = 0;
        for (const row of stmt.iterate() as IterableIterator<Record<string, unknown>>) {
          batch.push(row);
          if (batch.length === BATCH) {
            await insertRows(tx, table, columns, batch);
            n += batch.length;
            batch = [];
          }
        }
        if (batch.length > 0) await insertRows(tx, table, columns, batch);
        counts[table] = n + batch.length;
      }
      // Replicas already running on the target (there should be none) drop every cache.
      await publishChange(tx, 'master-key');
    });
  } finally {
    source.exec('COMMIT');
  }
  return counts;
}

/**
 * Copies a PostgreSQL store into a new SQLite store (created and migrated by the caller, empty),
 * from one REPEATABLE READ snapshot: the portable backup of a PostgreSQL store.
 */
export async function copyPgToSqlite(source: PgDatabase, target: Database): Promise<CopyCounts> {
  const counts: CopyCounts = {};
  await source.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    target.exec('BEGIN IMMEDIATE');
    try {
      for (const { table, columns, order } of COPIED_TABLES) {
        const insert = target.prepare(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
        );
        let n = 0;
        // Keyset pages would need per-table keys; OFFSET over one snapshot is consistent and simple.
        for (let offset = 0; ; offset += BATCH) {
          const rows = await tx.rows<Record<string, unknown>>(
            `copy_page_${table}`,
            `SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order} LIMIT ${BATCH} OFFSET $1`,
            [offset],
          );
          for (const row of rows) insert.run(row);
          n += rows.length;
          if (rows.length < BATCH) break;
        }
        counts[table] = n;
      }
      target.exec('COMMIT');
    } catch (err) {
      target.exec('ROLLBACK');
      throw err;
    }
  });
  return counts;
}
