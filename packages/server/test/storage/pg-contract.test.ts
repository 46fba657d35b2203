import { expect, onTestFinished, test } from 'vitest';
import { openPgStorage } from '../../src/storage/pg/pg-storage';
import { pgTestDatabase } from '../support/pg';
import { describeStorageContract } from './storage-contract';

async function openPg() {
  const storage = await openPgStorage(await pgTestDatabase());
  onTestFinished(() => storage.close());
  return storage;
}

describeStorageContract('postgres', openPg);

test('postgres: a transaction handle of another engine or storage is refused', async () => {
  const a = await openPg();
  const b = await openPg();
  await expect(a.write(async (tx) => b.keys.listOrgs(tx))).rejects.toThrow(
    /outside its transaction or with another engine/,
  );
});
