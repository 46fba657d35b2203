import type { OrgKeyRecord, OrgRecord, SlotRecord, Tx } from './types';

/**
 * Data for key rotation, master re-wrap and the key-usage budget. Every call
 * runs inside the caller's transaction (`tx` from `Storage.write` or
 * `Storage.read`), so a rotation step and its audit entry commit together.
 */
export interface KeyStore {
  orgById(tx: Tx, id: string): Promise<OrgRecord | undefined>;
  orgByName(tx: Tx, name: string): Promise<OrgRecord | undefined>;
  listOrgs(tx: Tx): Promise<OrgRecord[]>;
  /** Seals made with a key so far, `undefined` for a missing key. */
  encryptions(tx: Tx, orgId: string, version: number): Promise<number | undefined>;
  maxVersion(tx: Tx, orgId: string): Promise<number>;
  versions(tx: Tx, orgId: string): Promise<number[]>;
  insertKey(tx: Tx, key: OrgKeyRecord): Promise<void>;
  setCurrentVersion(tx: Tx, orgId: string, version: number): Promise<void>;
  countEncryptions(tx: Tx, orgId: string, version: number, n: number): Promise<void>;
  allKeys(tx: Tx): Promise<OrgKeyRecord[]>;
  updateWrapped(tx: Tx, orgId: string, version: number, wrapped: Uint8Array): Promise<void>;
  /** Slots of an org sealed under a version older than `version`, by name after `afterName`. */
  slotsBelow(tx: Tx, orgId: string, version: number, afterName: string, limit: number): Promise<SlotRecord[]>;
  countSlotsBelow(tx: Tx, orgId: string, version: number): Promise<number>;
  /** Replaces a slot's ciphertext and key version (not its timestamps: a re-seal is not an update). */
  reseal(tx: Tx, orgId: string, name: string, version: number, ciphertext: Uint8Array): Promise<void>;
  /** Deletes key versions other than `keep` that no slot uses; returns the versions dropped. */
  dropUnused(tx: Tx, orgId: string, keep: number): Promise<number[]>;
  getMeta(tx: Tx, key: string): Promise<Uint8Array | undefined>;
  putMeta(tx: Tx, key: string, value: Uint8Array): Promise<void>;
  /**
   * Outside any transaction: makes replaced rows (old wrapped keys, old
   * ciphertexts) leave the engine's logs where it can (SQLite: a TRUNCATE
   * checkpoint of the WAL). May do nothing.
   */
  compact(): Promise<void>;
}
