import type { SecretType } from '@dodil/shared';
import type { AuditStore } from './audit-store';
import type { KeyStore } from './key-store';
import type { SessionStore } from './session-store';

/** An organization. `id` is immutable and is what ciphertexts are bound to. */
export interface OrgRecord {
  id: string;
  name: string;
  currentKeyVersion: number;
  createdAtMs: number;
}

/** One wrapped data key of an org. */
export interface OrgKeyRecord {
  orgId: string;
  version: number;
  wrapped: Uint8Array;
  encryptions: number;
  createdAtMs: number;
}

/** A stored slot: metadata in clear, the value sealed. */
export interface SlotRecord {
  orgId: string;
  name: string;
  type: SecretType;
  /** Normalised registry host of a registry slot (lookup key for the docker helper). */
  registryHost: string | undefined;
  keyVersion: number;
  ciphertext: Uint8Array;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Slot metadata without the sealed value. */
export type SlotMeta = Omit<SlotRecord, 'ciphertext' | 'keyVersion' | 'registryHost'>;

/** An API token: only a keyed hash of its secret part is kept. */
export interface TokenRecord {
  id: string;
  orgId: string;
  name: string;
  hash: Uint8Array;
  scopes: string[];
  createdAtMs: number;
  expiresAtMs: number | undefined;
  revokedAtMs: number | undefined;
  /** Slot grant patterns (docs/contract.md#least-privilege); undefined = every slot. */
  grants?: readonly string[] | undefined;
  /** The token that minted this one over the API (revoking it revokes this one). */
  parentId?: string | undefined;
  /** The OIDC trust whose exchange minted this token (pruned once expired). */
  trustId?: string | undefined;
  /** Last successful use, written at most once a minute. */
  lastUsedAtMs?: number | undefined;
}

/** Outcome of an upsert; `receipt` is what the write's effect resolved to. */
export type UpsertResult<R> =
  | { ok: true; createdAtMs: number; updatedAtMs: number; receipt: R }
  | { ok: false; existingType: SecretType };

/**
 * An open transaction of one engine, passed explicitly to every store call
 * that must run inside it. Opaque: only the engine that made it reads it
 * (SQLite: a marker for its one connection; PostgreSQL: the pooled client
 * holding BEGIN). Valid only until the function given to
 * {@link Storage.write} or {@link Storage.read} settles.
 */
export interface Tx {
  readonly engine: string;
}

/**
 * Work that commits or rolls back together with a slot write (its audit
 * entry, the key-usage check), run inside the write's transaction after the
 * row was written; a rejection rolls the write back. What it resolves to is
 * handed back to the writer as the write's receipt.
 */
export type WriteEffect<R> = (tx: Tx) => Promise<R>;

/** Slot persistence. */
export interface SlotStore {
  get(orgId: string, name: string): Promise<SlotRecord | undefined>;
  /**
   * In one write transaction: inserts or overwrites a slot (keeping
   * `createdAtMs` of an existing one), counts one encryption against the key
   * that sealed it, then runs `effect`. Refuses (without writing, and without
   * running `effect`) when a slot of another type exists.
   */
  upsert<R>(record: SlotRecord, effect: WriteEffect<R>): Promise<UpsertResult<R>>;
  /** In one write transaction: deletes the slot (if any), then runs `effect` (also when there was none). */
  delete<R>(orgId: string, name: string, effect: WriteEffect<R>): Promise<{ deleted: boolean; receipt: R }>;
  /** Metadata ordered by name, strictly after `afterName`. */
  list(orgId: string, afterName: string, limit: number): Promise<SlotMeta[]>;
  /** Registry slots of an org, all or those whose normalised host equals `host`, ordered by name. */
  listRegistry(orgId: string, host: string | undefined): Promise<SlotRecord[]>;
}

/** Org and key persistence. */
export interface OrgStore {
  create(org: OrgRecord, firstKey: OrgKeyRecord): Promise<void>;
  getByName(name: string): Promise<OrgRecord | undefined>;
  getById(id: string): Promise<OrgRecord | undefined>;
  list(): Promise<OrgRecord[]>;
  getKey(orgId: string, version: number): Promise<OrgKeyRecord | undefined>;
}

/** Token persistence. */
export interface TokenStore {
  create(token: TokenRecord): Promise<void>;
  get(id: string): Promise<TokenRecord | undefined>;
  listByOrg(orgId: string): Promise<TokenRecord[]>;
  /** True when a live token was revoked now. */
  revoke(id: string, atMs: number): Promise<boolean>;
  /**
   * Revokes a token and every token minted under it (by `parentId`, at any
   * depth), in one transaction; the ids of the tokens revoked now.
   */
  revokeTree(id: string, atMs: number): Promise<string[]>;
  /**
   * Records a successful use (callers write it at most once a minute per token); resolves once
   * it is stored. An engine may batch uses (SQLite: one transaction per event-loop turn).
   */
  touch(id: string, atMs: number): Promise<void>;
  /** Writes the uses noted but not yet stored (before closing); engines that don't batch omit it. */
  flushUses?(): Promise<void>;
  /** Deletes tokens minted by an OIDC exchange that expired before `beforeMs`; how many. */
  pruneExchanged(beforeMs: number): Promise<number>;
  /**
   * A number that changes whenever a token row may have changed, by this process or another
   * (the admin CLI on the same data dir). Callers may cache a verification while it holds still.
   * Synchronous and cheap: it is read on every authenticated request.
   */
  changeStamp?(): number;
}

/** Small key/value settings (key check value, wrapped token pepper). */
export interface MetaStore {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `value` unless the key exists; returns what is stored afterwards (first writer wins). */
  putIfAbsent(key: string, value: Uint8Array): Promise<Uint8Array>;
}

/** An org's trust in an OIDC issuer (docs/contract.md#least-privilege): which JWTs may be exchanged for which tokens. */
export interface TrustRecord {
  id: string;
  orgId: string;
  name: string;
  issuer: string;
  /** Exactly one of `jwksUrl` and `jwksJson` is set. */
  jwksUrl: string | undefined;
  /** The key set given with `--jwks-file`, kept in the store (air-gapped sites, every replica). */
  jwksJson: string | undefined;
  audience: string;
  /** Claim name → glob over the whole value. */
  claims: Readonly<Record<string, string>>;
  scopes: readonly string[];
  grants: readonly string[] | undefined;
  ttlMs: number;
  allowReexchange: boolean;
  createdAtMs: number;
}

/** OIDC trusts and the `jti` values already exchanged. */
export interface TrustStore {
  /** False (nothing written) when the org already has a trust of that name. */
  create(trust: TrustRecord): Promise<boolean>;
  listByOrg(orgId: string): Promise<TrustRecord[]>;
  /** True when a trust was deleted. */
  delete(orgId: string, name: string): Promise<boolean>;
  /**
   * Remembers `jti` of `issuer` until `expiresAtMs` (and forgets every jti that expired before
   * `nowMs`); false when it was already remembered (a replay). Atomic.
   */
  useJti(issuer: string, jti: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

/**
 * One storage engine (SQLite or PostgreSQL) behind every store. The rules
 * every engine keeps are in docs/storage-contract.md.
 */
export interface Storage {
  readonly engine: 'sqlite' | 'postgres';
  readonly slots: SlotStore;
  readonly orgs: OrgStore;
  readonly tokens: TokenStore;
  /** OIDC trusts and used jti values (docs/contract.md#least-privilege). */
  readonly trusts: TrustStore;
  readonly meta: MetaStore;
  readonly keys: KeyStore;
  readonly audit: AuditStore;
  /** Console sessions (docs/contract.md#web-console). */
  readonly sessions: SessionStore;
  /**
   * Runs `fn` in one write transaction, serialised against every other writer
   * of the store (other processes and servers included): commits when `fn`
   * resolves, rolls back when it rejects. Never nest: pass `tx` down instead.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs `fn` in a read-only transaction: one consistent snapshot that does not block writers. */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Resolves when the store answers a trivial query (readiness); rejects otherwise. */
  ping(): Promise<void>;
  /** Waits for transactions in flight, then releases the connection(s). Idempotent. */
  close(): Promise<void>;
}
