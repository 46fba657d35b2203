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
 * Org data keys: created random, stored wrapped by the master key, unwrapped
 * on first use and kept in memory (keys, never slot values, are cached).
 */
export class OrgKeys {
  readonly #cache = new Map<string, Uint8Array>();

  constructor(
    private readonly master: MasterKey,
    private readonly orgs: WrappedKeySource,
    private readonly random: RandomBytes,
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
    if (cached !== undefined) return cached;
    const record = await this.orgs.getKey(orgId, version);
    if (record === undefined) throw new Error(`data key ${version} of an org is missing`);
    const dek = this.master.unwrap(record.wrapped, dataKeyPurpose(orgId, version));
    this.#cache.set(id, dek);
    return dek;
  }

  /** Drops cached keys (after a rotation re-wrapped or replaced them). */
  forget(): void {
    this.#cache.clear();
  }
}
