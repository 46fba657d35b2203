import type { RandomBytes } from './aead';
import type { MasterKey } from './master-key';

/** A wrapped data key as stored (what {@link OrgKeys.create} makes and its store keeps). */
export interface WrappedDataKey {
  orgId: string;
  version: number;
  wrapped: Uint8Array;
  encryptions: number;
  createdAtMs: number;
}

/** Where {@link OrgKeys} reads wrapped keys from (the org store satisfies it). */
export interface WrappedKeySource {
  getKey(orgId: string, version: number): Promise<Pick<WrappedDataKey, 'wrapped'> | undefined>;
}

/** What an org data key is wrapped for; part of the wrap AAD. */
export const dataKeyPurpose = (orgId: string, version: number) => ['org-data-key', orgId, version] as const;

/**
 * Unwrapped data keys kept at most. Each also carries its AES-GCM context (expanded key and GHASH
 * table, tens of KiB, held by aead.ts in a WeakMap keyed by this buffer), so the bound is what
 * keeps a store with many orgs from growing the heap without limit; a key pushed out is unwrapped
 * again on its next use. Above the 1000 orgs of the bench's 1M store, so that never evicts.
 */
export const MAX_CACHED_DATA_KEYS = 2048;

/**
 * Org data keys: created random, stored wrapped by the master key, unwrapped
 * on first use and kept in memory (keys, never slot values, are cached), the
 * least recently used {@link MAX_CACHED_DATA_KEYS} of them.
 */
export class OrgKeys {
  // Insertion order is recency order: a hit moves its key to the end, the first one is the oldest.
  readonly #cache = new Map<string, Uint8Array>();

  constructor(
    private readonly master: MasterKey,
    private readonly orgs: WrappedKeySource,
    private readonly random: RandomBytes,
    private readonly maxCached: number = MAX_CACHED_DATA_KEYS,
  ) {}

  /** A fresh data key and its stored form. */
  create(orgId: string, version: number, nowMs: number): WrappedDataKey {
    const dek = this.random(32);
    const wrapped = this.master.wrap(dek, dataKeyPurpose(orgId, version), this.random);
    // Not cached here: the caller's transaction may still roll back, and a key cached for a
    // version that was never stored would later shadow the one another process stores.
    return { orgId, version, wrapped, encryptions: 0, createdAtMs: nowMs };
  }

  /** The data key of an org at a version; throws when it is missing or does not unwrap. */
  async get(orgId: string, version: number): Promise<Uint8Array> {
    const id = `${orgId}/${version}`;
    const cached = this.#cache.get(id);
    if (cached !== undefined) {
      // Already the newest (one org hammering): skip the reinsert.
      if (this.#newest !== id) {
        this.#cache.delete(id);
        this.#cache.set(id, cached);
        this.#newest = id;
      }
      return cached;
    }
    const record = await this.orgs.getKey(orgId, version);
    if (record === undefined) throw new Error(`data key ${version} of an org is missing`);
    const dek = this.master.unwrap(record.wrapped, dataKeyPurpose(orgId, version));
    this.#cache.delete(id);
    while (this.#cache.size >= this.maxCached) {
      const oldest = this.#cache.keys().next();
      if (oldest.done === true) break;
      this.#cache.delete(oldest.value);
    }
    this.#cache.set(id, dek);
    this.#newest = id;
    return dek;
  }

  /** How many unwrapped keys are held (bounded by the constructor's `maxCached`). */
  get cachedCount(): number {
    return this.#cache.size;
  }

  #newest: string | undefined;

  /** Drops cached keys (after a rotation re-wrapped or replaced them). */
  forget(): void {
    this.#cache.clear();
    this.#newest = undefined;
  }
}
