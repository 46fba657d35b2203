import { describe, expect, test } from 'vitest';
import type { Storage } from '../../src/storage/types';
import { contractFixtures } from './storage-contract-fixtures';
import { describeRecordContract } from './storage-contract-records';

/**
 * The rules of docs/storage-contract.md as tests, for any engine: call it
 * with a name and a factory of fresh, empty, migrated stores (closed by the
 * factory's own cleanup). Transactions, slots and keys here; the audit log,
 * tokens, sessions and trusts in storage-contract-records.ts.
 */
export function describeStorageContract(engine: string, open: () => Promise<Storage>): void {
  const { org, key, slot, withOrg, encryptions } = contractFixtures(open);

  describe(`storage contract: ${engine}`, () => {
    test('an upsert counts one encryption and returns its effect as the receipt', async () => {
      const s = await withOrg();
      const out = await s.slots.upsert(
        slot('a'),
        async (tx) => (await s.keys.encryptions(tx, org.id, 1)) ?? -1,
      );
      // The effect runs after the count, inside the same transaction.
      expect(out).toEqual({ ok: true, createdAtMs: 10, updatedAtMs: 10, receipt: 1 });
      const again = await s.slots.upsert(
        slot('a', { createdAtMs: 20, updatedAtMs: 20 }),
        async () => 'second',
      );
      expect(again).toEqual({ ok: true, createdAtMs: 10, updatedAtMs: 20, receipt: 'second' });
      expect(await encryptions(s)).toBe(2);
    });

    test('a slot of another type: nothing written, the effect not run', async () => {
      const s = await withOrg();
      await s.slots.upsert(slot('a'), async () => undefined);
      let ran = false;
      const out = await s.slots.upsert(
        slot('a', { type: 'registry_secret', registryHost: 'ghcr.io' }),
        async () => {
          ran = true;
        },
      );
      expect(out).toEqual({ ok: false, existingType: 'git_secret' });
      expect(ran).toBe(false);
      expect((await s.slots.get(org.id, 'a'))?.type).toBe('git_secret');
      expect(await encryptions(s)).toBe(1);
    });

    test('an effect that rejects rolls back the write, its count and what the effect wrote', async () => {
      const s = await withOrg();
      const boom = new Error('effect failed');
      await expect(
        s.slots.upsert(slot('a'), async (tx) => {
          await s.keys.insertKey(tx, key(2));
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await s.slots.get(org.id, 'a')).toBeUndefined();
      expect(await encryptions(s)).toBe(0);
      expect(await s.read((tx) => s.keys.versions(tx, org.id))).toEqual([1]);
      await s.slots.upsert(slot('b'), async () => undefined);
      await expect(s.slots.delete(org.id, 'b', async () => Promise.reject(boom))).rejects.toBe(boom);
      expect(await s.slots.get(org.id, 'b')).toBeDefined();
      expect(await s.slots.delete(org.id, 'b', async () => 'r')).toEqual({ deleted: true, receipt: 'r' });
      expect(await s.slots.delete(org.id, 'b', async () => 'r')).toEqual({ deleted: false, receipt: 'r' });
    });

    test('a read outside a transaction never sees its uncommitted writes', async () => {
      const s = await withOrg();
      let proceed = () => {};
      const gate = new Promise<void>((resolve) => {
        proceed = resolve;
      });
      let inside = () => {};
      const entered = new Promise<void>((resolve) => {
        inside = resolve;
      });
      const write = s.slots.upsert(slot('pending'), async () => {
        inside();
        await gate;
        throw new Error('rolled back');
      });
      await entered;
      const seen = s.slots.get(org.id, 'pending');
      proceed();
      await expect(write).rejects.toThrow('rolled back');
      expect(await seen).toBeUndefined();
    });

    test('write transactions do not interleave', async () => {
      const s = await withOrg();
      const log: string[] = [];
      const step = (name: string) =>
        s.write(async (tx) => {
          log.push(`${name} in`);
          await s.keys.maxVersion(tx, org.id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          await s.keys.maxVersion(tx, org.id);
          log.push(`${name} out`);
        });
      await Promise.all([step('a'), step('b'), step('c')]);
      expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    });

    test('a transaction handle is dead once its function settled', async () => {
      const s = await withOrg();
      const leaked = await s.write(async (tx) => tx);
      await expect(s.keys.maxVersion(leaked, org.id)).rejects.toThrow();
    });

    test('key store: versions, current version, usage counts, unused versions dropped', async () => {
      const s = await withOrg();
      await s.write(async (tx) => {
        await s.keys.insertKey(tx, key(2));
        await s.keys.setCurrentVersion(tx, org.id, 2);
        await s.keys.countEncryptions(tx, org.id, 2, 5);
      });
      await s.slots.upsert(slot('old'), async () => undefined);
      expect(await s.read((tx) => s.keys.maxVersion(tx, org.id))).toBe(2);
      expect((await s.read((tx) => s.keys.orgByName(tx, 'acme')))?.currentKeyVersion).toBe(2);
      expect(await encryptions(s, 2)).toBe(5);
      expect(await s.read((tx) => s.keys.countSlotsBelow(tx, org.id, 2))).toBe(1);
      const [below] = await s.read((tx) => s.keys.slotsBelow(tx, org.id, 2, '', 10));
      expect(below?.name).toBe('old');
      await s.write((tx) => s.keys.reseal(tx, org.id, 'old', 2, new Uint8Array([7])));
      const resealed = await s.slots.get(org.id, 'old');
      expect([resealed?.keyVersion, [...(resealed?.ciphertext ?? [])], resealed?.updatedAtMs]).toEqual([
        2,
        [7],
        10,
      ]);
      expect(await s.write((tx) => s.keys.dropUnused(tx, org.id, 2))).toEqual([1]);
      expect((await s.read((tx) => s.keys.allKeys(tx))).map((k) => k.version)).toEqual([2]);
      await s.write((tx) => s.keys.putMeta(tx, 'k', new Uint8Array([1])));
      expect([...((await s.meta.get('k')) ?? [])]).toEqual([1]);
      expect([...(await s.meta.putIfAbsent('k', new Uint8Array([2])))]).toEqual([1]);
      await s.keys.compact();
    });
  });
  describeRecordContract(engine, open);
}
