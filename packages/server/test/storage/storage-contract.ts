import { describe, expect, test } from 'vitest';
import type { AuditRecord } from '../../src/storage/audit-store';
import type { OrgKeyRecord, OrgRecord, SlotRecord, Storage } from '../../src/storage/types';

/**
 * The rules of docs/storage-contract.md as tests, for any engine: call it
 * with a name and a factory of fresh, empty, migrated stores (closed by the
 * factory's own cleanup).
 */
export function describeStorageContract(engine: string, open: () => Promise<Storage>): void {
  const org: OrgRecord = { id: 'org0000000000000000001', name: 'acme', currentKeyVersion: 1, createdAtMs: 1 };
  const key = (version: number): OrgKeyRecord => ({
    orgId: org.id,
    version,
    wrapped: new Uint8Array([version, 1, 2]),
    encryptions: 0,
    createdAtMs: 1,
  });
  const slot = (name: string, over: Partial<SlotRecord> = {}): SlotRecord => ({
    orgId: org.id,
    name,
    type: 'git_secret',
    registryHost: undefined,
    keyVersion: 1,
    ciphertext: new Uint8Array([9, 9, 9]),
    createdAtMs: 10,
    updatedAtMs: 10,
    ...over,
  });
  const entry = (seq: number, orgName = 'acme'): AuditRecord => ({
    seq,
    timeMs: 100 + seq,
    requestId: `req-${seq}`,
    tokenId: undefined,
    orgId: org.id,
    org: orgName,
    action: 'GetSecret',
    slot: `s${seq}`,
    code: 'OK',
    clientAddress: '127.0.0.1',
    detail: undefined,
    mac: new Uint8Array(32).fill(seq),
  });
  async function withOrg(): Promise<Storage> {
    const storage = await open();
    await storage.orgs.create(org, key(1));
    return storage;
  }
  const encryptions = (s: Storage, version = 1) => s.read((tx) => s.keys.encryptions(tx, org.id, version));

  describe(`storage contract: ${engine}`, () => {
    test('an upsert counts one encryption and returns its effect as the receipt', async () => {
      const s = await withOrg();
      const out = await s.slots.upsert(slot('a'), async (tx) => (await s.keys.encryptions(tx, org.id, 1)) ?? -1);
      // The effect runs after the count, inside the same transaction.
      expect(out).toEqual({ ok: true, createdAtMs: 10, updatedAtMs: 10, receipt: 1 });
      const again = await s.slots.upsert(slot('a', { createdAtMs: 20, updatedAtMs: 20 }), async () => 'second');
      expect(again).toEqual({ ok: true, createdAtMs: 10, updatedAtMs: 20, receipt: 'second' });
      expect(await encryptions(s)).toBe(2);
    });

    test('a slot of another type: nothing written, the effect not run', async () => {
      const s = await withOrg();
      await s.slots.upsert(slot('a'), async () => undefined);
      let ran = false;
      const out = await s.slots.upsert(slot('a', { type: 'registry_secret', registryHost: 'ghcr.io' }), async () => {
        ran = true;
      });
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
      expect([resealed?.keyVersion, [...(resealed?.ciphertext ?? [])], resealed?.updatedAtMs]).toEqual([2, [7], 10]);
      expect(await s.write((tx) => s.keys.dropUnused(tx, org.id, 2))).toEqual([1]);
      expect((await s.read((tx) => s.keys.allKeys(tx))).map((k) => k.version)).toEqual([2]);
      await s.write((tx) => s.keys.putMeta(tx, 'k', new Uint8Array([1])));
      expect([...((await s.meta.get('k')) ?? [])]).toEqual([1]);
      expect([...(await s.meta.putIfAbsent('k', new Uint8Array([2])))]).toEqual([1]);
      await s.keys.compact();
    });

    test('audit store: batches in order, head, newest-first listing read oldest first, archive', async () => {
      const s = await withOrg();
      expect(await s.read((tx) => s.audit.last(tx))).toBeUndefined();
      await s.write(async (tx) => {
        await s.audit.insert(tx, [entry(1), entry(2, 'other')]);
        await s.audit.insert(tx, [entry(3)]);
        await s.audit.writeHead(tx, new Uint8Array([3]));
      });
      const last = await s.read((tx) => s.audit.last(tx));
      expect([last?.seq, [...(last?.mac ?? [])]]).toEqual([3, [...entry(3).mac]]);
      expect([...((await s.read((tx) => s.audit.macAt(tx, 2))) ?? [])]).toEqual([...entry(2).mac]);
      expect((await s.read((tx) => s.audit.list(tx, { limit: 2 }))).map((e) => e.seq)).toEqual([2, 3]);
      expect((await s.read((tx) => s.audit.list(tx, { org: 'acme', limit: 10 }))).map((e) => e.seq)).toEqual([1, 3]);
      const all = await s.read(async (tx) => {
        const out: AuditRecord[] = [];
        for await (const e of s.audit.iterate(tx)) out.push(e);
        return out;
      });
      expect(all.map((e) => ({ ...e, mac: [...e.mac] }))).toEqual(
        [entry(1), entry(2, 'other'), entry(3)].map((e) => ({ ...e, mac: [...e.mac] })),
      );
      expect([...((await s.read((tx) => s.audit.readHead(tx))) ?? [])]).toEqual([3]);
      const where = await s.write((tx) => s.audit.archive(tx, 1234));
      expect(where).toContain('1234');
      expect(await s.read((tx) => s.audit.last(tx))).toBeUndefined();
      expect(await s.read((tx) => s.audit.readHead(tx))).toBeUndefined();
    });

    test('the token change stamp moves on every token write', async () => {
      const s = await withOrg();
      const before = s.tokens.changeStamp?.();
      await s.tokens.create({
        id: '0123456789abcdef',
        orgId: org.id,
        name: 't',
        hash: new Uint8Array(32),
        scopes: ['GetSecret'],
        createdAtMs: 1,
        expiresAtMs: undefined,
        revokedAtMs: undefined,
      });
      const created = s.tokens.changeStamp?.();
      expect(created).not.toBe(before);
      expect(await s.tokens.revoke('0123456789abcdef', 2)).toBe(true);
      expect(s.tokens.changeStamp?.()).not.toBe(created);
      await s.ping();
    });
  });
}
