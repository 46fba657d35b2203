import { createServer } from 'node:net';
import { expect, onTestFinished, test } from 'vitest';
import { openPgDatabase } from '../../src/storage/pg/pg-database';
import type { PgDatabase } from '../../src/storage/pg/pg-database';
import { DatabaseUnavailableError } from '../../src/storage/pg/pg-errors';
import { PG_MIGRATIONS, SchemaTooNewError, migratePg } from '../../src/storage/pg/pg-schema';
import { pgTestDatabase } from '../support/pg';

function open(url: string, timeouts = {}): PgDatabase {
  const db = openPgDatabase(url, { timeouts });
  onTestFinished(() => db.close());
  return db;
}

test('replicas starting together migrate once under the advisory lock', async () => {
  const url = await pgTestDatabase();
  const replicas = [open(url), open(url), open(url), open(url)];
  const versions = await Promise.all(replicas.map((db) => migratePg(db)));
  expect(versions).toEqual(replicas.map(() => PG_MIGRATIONS.length));
  const rows = await replicas[0]?.rows<{ version: number }>('v', 'SELECT version FROM dodil_schema');
  expect(rows).toEqual([{ version: PG_MIGRATIONS.length }]);
  // Idempotent on restart.
  expect(await migratePg(open(url))).toBe(PG_MIGRATIONS.length);
});

test('a schema newer than this binary is refused, and nothing is touched', async () => {
  const url = await pgTestDatabase();
  const db = open(url);
  await migratePg(db);
  await db.exec('UPDATE dodil_schema SET version = $1', [PG_MIGRATIONS.length + 1]);
  await expect(migratePg(open(url))).rejects.toBeInstanceOf(SchemaTooNewError);
  await expect(migratePg(open(url))).rejects.toThrow(/newer than this program understands/);
});

test('an unreachable database fails fast with UNAVAILABLE, then backs off without reconnecting each time', async () => {
  // A port that accepts TCP and never answers: the frozen-server case, bounded by the connect timeout.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => void silent.close());
  const address = silent.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const db = open(`postgres://nobody@127.0.0.1:${port}/x`, { connectMs: 500 });
  const started = performance.now();
  const err = await db.rows('one', 'SELECT 1').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatabaseUnavailableError);
  expect((err as DatabaseUnavailableError).code).toBe('UNAVAILABLE');
  expect((err as DatabaseUnavailableError).message).not.toMatch(/nobody|127\.0\.0\.1/);
  expect(performance.now() - started).toBeLessThan(5000);
  // Inside the backoff window the next call does not wait for another connect timeout.
  const again = performance.now();
  await expect(db.rows('one', 'SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
  expect(performance.now() - again).toBeLessThan(400);
  expect(await db.ping()).toBe(false);
});

test('a read-only primary (failover in progress) is UNAVAILABLE for writes, reads still answer', async () => {
  const url = await pgTestDatabase();
  const setup = open(url);
  await migratePg(setup);
  const name = new URL(url).pathname.slice(1);
  await setup.exec(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
  const db = open(url);
  const err = await db
    .transaction((tx) => tx.exec(`INSERT INTO meta (key, value) VALUES ('k', '\\x00')`))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DatabaseUnavailableError);
  expect([(err as DatabaseUnavailableError).code, (err as DatabaseUnavailableError).reason]).toEqual([
    'UNAVAILABLE',
    'read-only',
  ]);
  // Not a connection failure: no backoff, reads go on.
  expect(await db.rows('one', 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
});
