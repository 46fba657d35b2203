import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { createSqliteStorage } from '../../src/storage/sqlite-storage';
import { tempDir } from '../support/harness';
import { describeStorageContract } from './storage-contract';

async function openSqlite() {
  const storage = createSqliteStorage(openDatabase(join(tempDir(), 'dodil.db')));
  onTestFinished(() => storage.close());
  return storage;
}

describeStorageContract('sqlite', openSqlite);

test('sqlite: a store call without its tx inside a transaction throws instead of waiting for itself', async () => {
  const s = await openSqlite();
  await expect(s.write(async () => s.slots.get('org', 'name'))).rejects.toThrow(/pass the tx down/);
  // The connection is free again afterwards.
  await expect(s.slots.get('org', 'name')).resolves.toBeUndefined();
});
