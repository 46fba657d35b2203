import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { MIGRATIONS } from '../../src/storage/migrations';
import { tempDir } from '../support/harness';

test('migrations run forward once, keyed by user_version, with WAL and foreign keys on', () => {
  const file = join(tempDir(), 'm.db');
  const db = openDatabase(file);
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  db.close();
  const again = openDatabase(file);
  expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  again.close();
});

test('a database from a newer version is refused, not altered', () => {
  const file = join(tempDir(), 'm.db');
  openDatabase(file).close();
  const raw = new BetterSqlite3(file);
  raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
  raw.close();
  expect(() => openDatabase(file)).toThrow(/newer than this program/);
});
