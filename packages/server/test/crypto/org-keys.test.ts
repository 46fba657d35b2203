import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { MasterKey } from '../../src/crypto/master-key';
import { MAX_CACHED_DATA_KEYS, OrgKeys } from '../../src/crypto/org-keys';
import type { WrappedDataKey } from '../../src/crypto/org-keys';

/** OrgKeys over an in-memory key table that counts its reads (each read is an unwrap). */
function setup(orgCount: number, maxCached?: number) {
  const master = new MasterKey(randomBytes(32));
  const random = (n: number) => new Uint8Array(randomBytes(n));
  const stored = new Map<string, WrappedDataKey>();
  const reads: string[] = [];
  const source = {
    getKey: async (orgId: string, version: number) => {
      reads.push(orgId);
      return stored.get(`${orgId}/${version}`);
    },
  };
  const keys = new OrgKeys(master, source, random, maxCached);
  for (let i = 0; i < orgCount; i++) stored.set(`org-${i}/1`, keys.create(`org-${i}`, 1, 0));
  return { keys, reads };
}

describe('the unwrapped data key cache', () => {
  test('is bounded and drops the least recently used key first', async () => {
    const { keys, reads } = setup(4, 3);
    const a = await keys.get('org-0', 1);
    await keys.get('org-1', 1);
    await keys.get('org-2', 1);
    // org-0 used again: now org-1 is the least recently used.
    expect(await keys.get('org-0', 1)).toBe(a);
    await keys.get('org-3', 1);
    expect(keys.cachedCount).toBe(3);
    reads.length = 0;
    await keys.get('org-0', 1);
    await keys.get('org-2', 1);
    await keys.get('org-3', 1);
    expect(reads).toEqual([]);
    // The evicted key is read and unwrapped again, to the same bytes.
    const again = await keys.get('org-1', 1);
    expect(reads).toEqual(['org-1']);
    expect(keys.cachedCount).toBe(3);
    expect(again.length).toBe(32);
  });

  test('holds every org of the 1M bench store (1000 orgs) without evicting', async () => {
    expect(MAX_CACHED_DATA_KEYS).toBeGreaterThanOrEqual(1000);
    const { keys, reads } = setup(1000);
    for (let i = 0; i < 1000; i++) await keys.get(`org-${i}`, 1);
    reads.length = 0;
    for (let i = 999; i >= 0; i--) await keys.get(`org-${i}`, 1);
    expect(reads).toEqual([]);
    expect(keys.cachedCount).toBe(1000);
  });

  test('forget drops every key', async () => {
    const { keys, reads } = setup(2);
    await keys.get('org-0', 1);
    keys.forget();
    expect(keys.cachedCount).toBe(0);
    await keys.get('org-0', 1);
    expect(reads).toEqual(['org-0', 'org-0']);
  });
});
