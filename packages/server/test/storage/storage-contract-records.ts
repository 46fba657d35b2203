import { describe, expect, test } from 'vitest';
import type { AuditRecord } from '../../src/storage/audit-store';
import type { Storage, TokenRecord, TrustRecord } from '../../src/storage/types';
import { contractFixtures } from './storage-contract-fixtures';

/** The storage contract's audit, token, session and trust rules (see storage-contract.ts). */
export function describeRecordContract(engine: string, open: () => Promise<Storage>): void {
  const { org, entry, withOrg } = contractFixtures(open);

  describe(`storage contract (records): ${engine}`, () => {
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
      expect((await s.read((tx) => s.audit.list(tx, { org: 'acme', limit: 10 }))).map((e) => e.seq)).toEqual([
        1, 3,
      ]);
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

    test('audit store: export reads, age lookup, prune deletes and the checkpoint (docs/contract.md#operating-it)', async () => {
      const s = await withOrg();
      await s.write(async (tx) => {
        await s.audit.insert(
          tx,
          [1, 2, 3, 4, 5].map((n) => entry(n)),
        );
        await s.audit.writeHead(tx, new Uint8Array([5]));
      });
      expect((await s.read((tx) => s.audit.after(tx, 0, 2))).map((e) => e.seq)).toEqual([1, 2]);
      expect((await s.read((tx) => s.audit.after(tx, 3, 10))).map((e) => e.seq)).toEqual([4, 5]);
      expect(await s.read((tx) => s.audit.after(tx, 5, 10))).toEqual([]);
      // entry(n) was written at 100 + n.
      expect(await s.read((tx) => s.audit.firstSeqSince(tx, 103))).toBe(3);
      expect(await s.read((tx) => s.audit.firstSeqSince(tx, 999))).toBeUndefined();
      expect(await s.read((tx) => s.audit.readCheckpoint(tx))).toBeUndefined();
      await expect(
        s.write(async (tx) => {
          await s.audit.deleteThrough(tx, 2);
          await s.audit.writeCheckpoint(tx, new Uint8Array([2]));
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await s.read((tx) => s.audit.after(tx, 0, 10))).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(
        await s.write(async (tx) => {
          const n = await s.audit.deleteThrough(tx, 2);
          await s.audit.writeCheckpoint(tx, new Uint8Array([2]));
          return n;
        }),
      ).toBe(2);
      expect((await s.read((tx) => s.audit.after(tx, 0, 10))).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect([...((await s.read((tx) => s.audit.readCheckpoint(tx))) ?? [])]).toEqual([2]);
      // The head is not the checkpoint (two records).
      expect([...((await s.read((tx) => s.audit.readHead(tx))) ?? [])]).toEqual([5]);
      await s.write((tx) => s.audit.archive(tx, 99));
      expect(await s.read((tx) => s.audit.readCheckpoint(tx))).toBeUndefined();
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

    test('audit query: one org, exact slot and action, time range, before a position, newest first', async () => {
      const s = await withOrg();
      const other = { ...entry(4, 'globex'), orgId: 'org-other' };
      await s.write((tx) =>
        s.audit.insert(tx, [
          entry(1),
          entry(2),
          { ...entry(3), action: 'CreateSecret', slot: 's1' },
          other,
          entry(5),
        ]),
      );
      const q = (over: Partial<Parameters<Storage['audit']['query']>[1]>) =>
        s.read((tx) =>
          s.audit.query(tx, {
            orgId: org.id,
            slot: undefined,
            action: undefined,
            sinceMs: undefined,
            untilMs: undefined,
            beforeSeq: undefined,
            limit: 10,
            ...over,
          }),
        );
      const seqs = async (over: Partial<Parameters<Storage['audit']['query']>[1]>) =>
        (await q(over)).map((e) => e.seq);
      expect(await seqs({})).toEqual([5, 3, 2, 1]);
      expect(await seqs({ slot: 's1' })).toEqual([3, 1]);
      expect(await seqs({ action: 'CreateSecret' })).toEqual([3]);
      expect(await seqs({ sinceMs: 102, untilMs: 105 })).toEqual([3, 2]);
      expect(await seqs({ beforeSeq: 3, limit: 1 })).toEqual([2]);
      const newest = (await q({ limit: 1 }))[0];
      expect(newest && { ...newest, mac: new Uint8Array(newest.mac) }).toEqual(entry(5));
    });

    test('console sessions: create, get by id hash, delete, expired ones swept', async () => {
      const s = await open();
      const session = (n: number, expiresAtMs: number) => ({
        idHash: new Uint8Array(32).fill(n),
        tokenId: '0123456789abcdef',
        sealedToken: new Uint8Array([n, 2, 3]),
        createdAtMs: 1,
        expiresAtMs,
      });
      await s.sessions.create(session(1, 100));
      await s.sessions.create(session(2, 200));
      const got = await s.sessions.get(new Uint8Array(32).fill(1));
      expect(
        got && { ...got, idHash: new Uint8Array(got.idHash), sealedToken: new Uint8Array(got.sealedToken) },
      ).toEqual(session(1, 100));
      expect(await s.sessions.get(new Uint8Array(32).fill(3))).toBeUndefined();
      expect(await s.sessions.deleteExpired(150)).toBe(1);
      expect(await s.sessions.get(new Uint8Array(32).fill(1))).toBeUndefined();
      expect(await s.sessions.delete(new Uint8Array(32).fill(2))).toBe(true);
      expect(await s.sessions.delete(new Uint8Array(32).fill(2))).toBe(false);
    });

    test('tokens: grants, parent, trust and last use round-trip; revokeTree revokes the whole subtree; expired exchanged tokens are pruned', async () => {
      const s = await withOrg();
      const token = (id: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
        id,
        orgId: org.id,
        name: id,
        hash: new Uint8Array(32),
        scopes: ['GetSecret', 'ManageTokens'],
        createdAtMs: 1,
        expiresAtMs: undefined,
        revokedAtMs: undefined,
        ...over,
      });
      await s.tokens.create(token('a000000000000000', { grants: ['gh-*', 'npm'] }));
      await s.tokens.create(token('b000000000000000', { parentId: 'a000000000000000' }));
      await s.tokens.create(token('c000000000000000', { parentId: 'b000000000000000' }));
      await s.tokens.create(
        token('d000000000000000', { parentId: 'a000000000000000', revokedAtMs: undefined }),
      );
      await s.tokens.create(token('e000000000000000'));
      await s.tokens.create(token('f000000000000000', { trustId: 't1', expiresAtMs: 50 }));
      await s.tokens.create(token('f100000000000000', { trustId: 't1', expiresAtMs: 500 }));
      expect(await s.tokens.get('a000000000000000')).toMatchObject({
        grants: ['gh-*', 'npm'],
        parentId: undefined,
      });
      expect(await s.tokens.get('e000000000000000')).toMatchObject({
        grants: undefined,
        lastUsedAtMs: undefined,
      });
      await s.tokens.touch('e000000000000000', 77);
      expect((await s.tokens.get('e000000000000000'))?.lastUsedAtMs).toBe(77);
      expect(await s.tokens.revoke('b000000000000000', 5)).toBe(true);
      // b is already revoked: it is walked through, its child c is revoked now.
      expect((await s.tokens.revokeTree('a000000000000000', 9)).sort()).toEqual([
        'a000000000000000',
        'c000000000000000',
        'd000000000000000',
      ]);
      expect((await s.tokens.get('b000000000000000'))?.revokedAtMs).toBe(5);
      expect((await s.tokens.get('c000000000000000'))?.revokedAtMs).toBe(9);
      expect((await s.tokens.get('e000000000000000'))?.revokedAtMs).toBeUndefined();
      expect(await s.tokens.pruneExchanged(100)).toBe(1);
      expect(await s.tokens.get('f000000000000000')).toBeUndefined();
      expect(await s.tokens.get('f100000000000000')).toBeDefined();
    });

    test('trusts: one name per org, listed by name, deleted; a jti is used once until it expires', async () => {
      const s = await withOrg();
      const trust = (name: string): TrustRecord => ({
        id: `id-${name}`,
        orgId: org.id,
        name,
        issuer: 'https://issuer',
        jwksUrl: 'https://issuer/jwks',
        jwksJson: undefined,
        audience: 'dodil',
        claims: { repository: 'acme/*' },
        scopes: ['GetSecret'],
        grants: ['gh-*'],
        ttlMs: 900_000,
        allowReexchange: true,
        createdAtMs: 1,
      });
      expect(await s.trusts.create(trust('b'))).toBe(true);
      expect(await s.trusts.create(trust('a'))).toBe(true);
      expect(await s.trusts.create({ ...trust('a'), id: 'other-id' })).toBe(false);
      expect(await s.trusts.listByOrg(org.id)).toEqual([trust('a'), trust('b')]);
      expect(await s.trusts.delete(org.id, 'a')).toBe(true);
      expect(await s.trusts.delete(org.id, 'a')).toBe(false);
      expect(await s.trusts.useJti('https://issuer', 'j1', 1_000, 10)).toBe(true);
      expect(await s.trusts.useJti('https://issuer', 'j1', 1_000, 20)).toBe(false);
      expect(await s.trusts.useJti('https://other', 'j1', 1_000, 20)).toBe(true);
      // Once expired it is forgotten (pruned), so the table does not grow without bound.
      expect(await s.trusts.useJti('https://issuer', 'j1', 5_000, 1_001)).toBe(true);
    });
  });
}
