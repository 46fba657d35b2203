import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { openPgDatabase } from '../../src/storage/pg/pg-database';
import { migratePg } from '../../src/storage/pg/pg-schema';
import { COPIED_TABLES, copyPgToSqlite, copySqliteToPg } from '../../src/storage/pg/pg-store-copy';
import { copyFixture010 } from '../support/fixture-0.1.0';
import { tempDir } from '../support/harness';
import { pgTestDatabase } from '../support/pg';
import { runServer } from '../support/server-process';

function dumpTables(db: Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const { table, columns, order } of COPIED_TABLES) {
    out[table] = db.prepare(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${order}`).all();
  }
  return out;
}

async function migratedPg() {
  const db = openPgDatabase(await pgTestDatabase());
  onTestFinished(() => db.close());
  await migratePg(db);
  return db;
}

test('the 0.1.0 store goes to PostgreSQL and back byte for byte, and still serves and verifies', async () => {
  const fixture = copyFixture010();
  const source = openDatabase(join(fixture.dir, 'dodil.db'));
  onTestFinished(() => {
    source.close();
  });
  const pg = await migratedPg();

  const counts = await copySqliteToPg(source, pg);
  expect(counts).toMatchObject({ orgs: 2, slots: 33, audit_log: 43, tokens: 3 });
  // A second copy into the same database is refused, and changes nothing.
  await expect(copySqliteToPg(source, pg)).rejects.toThrow(/not empty/);

  const backDir = tempDir();
  const back = openDatabase(join(backDir, 'dodil.db'));
  await copyPgToSqlite(pg, back);
  expect(dumpTables(back)).toEqual(dumpTables(source));
  back.close();

  // The round-tripped store is a working store: same master key, chain verifies.
  const verify = runServer(['audit', 'verify'], {
    DODIL_DATA_DIR: backDir,
    DODIL_MASTER_KEY_FILE: fixture.keyFile,
  });
  expect([verify.code, verify.stderr]).toEqual([0, '']);
  expect(verify.stdout).toMatch(/^43:/);
});
