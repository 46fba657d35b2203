import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { createSqliteStorage } from '../../src/storage/sqlite-storage';
import { tempDir } from '../support/harness';
import { describeStorageContract } from './storage-contract';

async function openSqlite(options: { maxWaitMs?: number } = {}) {
  const storage = createSqliteStorage(openDatabase(join(tempDir(), 'dodil.db')), options);
  onTestFinished(() => storage.close());
  return storage;
}

describeStorageContract('sqlite', () => openSqlite());

test('sqlite: a store call without its tx inside a transaction fails after the wait bound instead of hanging', async () => {
  const s = await openSqlite({ maxWaitMs: 200 });
  await expect(s.write(async () => s.slots.get('org', 'name'))).rejects.toThrow(/pass the tx down/);
  // The connection is free again afterwards.
  await expect(s.slots.get('org', 'name')).resolves.toBeUndefined();
});
