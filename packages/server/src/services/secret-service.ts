import { LIMITS, SLOT_NAME_RULE, isSlotName, normaliseRegistryHost, secretTypeOf } from '@dodil/shared';
import type { SecretType, SecretValue } from '@dodil/shared';
import type { RandomBytes } from '../crypto/aead';
import type { OrgKeys } from '../crypto/org-keys';
import { openSlotValue, sealSlotValue } from '../crypto/slot-cipher';
import { AppError } from '../errors/app-error';
import type { OrgStore, SlotMeta, SlotRecord, SlotStore, Tx } from '../storage/types';
import type { Clock } from './clock';
import { requireScope } from './context';
import type { CallContext } from './context';
import { requireSlot, slotAllowed } from './grants';
import { decodePageToken, encodePageToken } from './page-token';

/** Slot metadata as services return it (times as numbers; mappers render them). */
export interface SlotMetadata {
  name: string;
  type: SecretType;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A slot with its value. */
export interface SlotWithValue {
  metadata: SlotMetadata;
  value: SecretValue;
}

/** A page of metadata. */
export interface SlotPage {
  secrets: SlotMetadata[];
  nextPageToken: string;
}

/** The SecretService rules, shared by REST, gRPC and Connect. */
export interface SecretService {
  create(ctx: CallContext, input: { name: string; value: SecretValue }): Promise<SlotMetadata>;
  get(ctx: CallContext, name: string): Promise<SlotWithValue>;
  list(ctx: CallContext, input: { pageSize?: number | undefined; pageToken: string }): Promise<SlotPage>;
  delete(ctx: CallContext, name: string): Promise<void>;
  /**
   * Registry slots whose normalised server address equals `host`'s (scope GetSecret); without
   * `host`, every registry slot's address and username with an empty password (scope ListSecrets).
   */
  findRegistry(ctx: CallContext, host: string | undefined): Promise<SlotWithValue[]>;
}

/**
 * The secret rules as the layers below the audit wrapper see them: a write
 * also returns the receipt of what committed in its transaction (its audit
 * entry), so the audit wrapper knows, without guessing, that the call is
 * already recorded. Wrappers between the two (key guard, grants) pass
 * receipts through untouched.
 */
export interface SecretCore {
  create(ctx: CallContext, input: { name: string; value: SecretValue }): Promise<Receipted<SlotMetadata>>;
  get(ctx: CallContext, name: string): Promise<SlotWithValue>;
  list(ctx: CallContext, input: { pageSize?: number | undefined; pageToken: string }): Promise<SlotPage>;
  delete(ctx: CallContext, name: string): Promise<Receipted<void>>;
  findRegistry(ctx: CallContext, host: string | undefined): Promise<SlotWithValue[]>;
}

/** What committed together with a write: the chain position of its audit entry. */
export interface WriteReceipt {
  auditSeq: number;
}

/** A write's result and its receipt (`undefined` when nothing was recorded with it). */
export interface Receipted<T> {
  value: T;
  receipt: WriteReceipt | undefined;
}

/**
 * Runs inside a successful slot write's transaction (the key-usage check and
 * the audit entry commit with the write); rejecting rolls the write back.
 */
export type SlotWriteEffect = (
  tx: Tx,
  ctx: CallContext,
  write: SlotWrite,
) => Promise<WriteReceipt | undefined>;

/** A slot write about to commit (what an in-transaction effect is told). */
export interface SlotWrite {
  action: 'CreateSecret' | 'DeleteSecret';
  orgId: string;
  name: string;
  /** The data key version that sealed the value (CreateSecret only). */
  keyVersion: number | undefined;
}

/** Dependencies of {@link createSecretService}. */
export interface SecretServiceDeps {
  slots: SlotStore;
  orgs: Pick<OrgStore, 'getById'>;
  keys: Pick<OrgKeys, 'get'>;
  clock: Clock;
  random: RandomBytes;
  /** Called when a stored value fails to decrypt (tampering or a moved row); never given the value. */
  onIntegrityFailure?: (event: { orgId: string; name: string; requestId: string }) => void;
  /** What commits with every slot write (the composition root gives the key budget and the audit entry). */
  inWriteTransaction?: SlotWriteEffect;
}

function checkName(name: string): void {
  if (!isSlotName(name)) throw new AppError('INVALID_ARGUMENT', `invalid slot name: ${SLOT_NAME_RULE}`);
}

const metadataOf = (r: Pick<SlotRecord, 'name' | 'type' | 'createdAtMs' | 'updatedAtMs'>): SlotMetadata => ({
  name: r.name,
  type: r.type,
  createdAtMs: r.createdAtMs,
  updatedAtMs: r.updatedAtMs,
});

/** A registry slot as the host-less lookup returns it: server address and username, no password. */
function withoutPassword(slot: SlotWithValue): SlotWithValue {
  if (!('registrySecret' in slot.value)) return slot;
  const { username, serverAddress } = slot.value.registrySecret;
  return { metadata: slot.metadata, value: { registrySecret: { username, password: '', serverAddress } } };
}

const typeWord = (t: SecretType) => (t === 'git_secret' ? 'git' : 'registry');

const noEffect: SlotWriteEffect = async () => undefined;

/** Creates the {@link SecretCore}: the rules, with no audit or key guard around them. */
export function createSecretService(deps: SecretServiceDeps): SecretCore {
  const effect = deps.inWriteTransaction ?? noEffect;
  async function open(record: SlotRecord): Promise<SlotWithValue> {
    const dek = await deps.keys.get(record.orgId, record.keyVersion);
    return { metadata: metadataOf(record), value: openSlotValue(dek, record, record.ciphertext) };
  }

  /** Reports a stored value that is not what its row says, and refuses it; never given the value. */
  function integrityFailure(ctx: CallContext, record: SlotRecord): never {
    deps.onIntegrityFailure?.({ orgId: record.orgId, name: record.name, requestId: ctx.requestId });
    throw new AppError('INTERNAL', `slot ${record.name} failed its integrity check and is not served`);
  }

  async function reveal(ctx: CallContext, record: SlotRecord): Promise<SlotWithValue> {
    try {
      return await open(record);
    } catch {
      // A key rotation in another process may have re-encrypted the row and dropped its old key
      // between our two reads; a fresh read of a changed row is served, anything else is refused.
      let fresh: SlotRecord | undefined | null = null; // null: could not re-read
      try {
        fresh = await deps.slots.get(record.orgId, record.name);
        if (fresh !== undefined && fresh.keyVersion !== record.keyVersion) return await open(fresh);
      } catch {
        // fall through to the integrity failure below
      }
      if (fresh === undefined) throw new AppError('NOT_FOUND', `slot ${record.name} not found`);
      integrityFailure(ctx, record);
    }
  }

  /**
   * Up to `limit` granted rows after `after`, in name order. Without grants one query; with
   * grants, batches are read and filtered until enough rows are found or the org runs out (the
   * page token is still the last name returned, so paging works unchanged).
   */
  async function listGranted(ctx: CallContext, after: string, limit: number): Promise<SlotMeta[]> {
    const { principal } = ctx;
    if (principal.grants === undefined) return deps.slots.list(principal.orgId, after, limit);
    const batch = Math.max(limit, 256);
    const out: SlotMeta[] = [];
    let cursor = after;
    for (;;) {
      const rows = await deps.slots.list(principal.orgId, cursor, batch);
      for (const row of rows) {
        if (slotAllowed(principal, row.name)) out.push(row);
        if (out.length === limit) return out;
      }
      const last = rows.at(-1);
      if (rows.length < batch || last === undefined) return out;
      cursor = last.name;
    }
  }

  return {
    async create(ctx, { name, value }) {
      requireScope(ctx, 'CreateSecret');
      checkName(name);
      requireSlot(ctx.principal, name);
      const org = await deps.orgs.getById(ctx.principal.orgId);
      if (org === undefined) throw new AppError('UNAUTHENTICATED', 'unknown token');
      const type = secretTypeOf(value);
      const keyVersion = org.currentKeyVersion;
      const dek = await deps.keys.get(org.id, keyVersion);
      const now = deps.clock();
      const registryHost =
        'registrySecret' in value ? normaliseRegistryHost(value.registrySecret.serverAddress) : undefined;
      if ('registrySecret' in value && registryHost === undefined) {
        throw new AppError('INVALID_ARGUMENT', 'registrySecret.serverAddress is not a registry host[:port]');
      }
      const ciphertext = sealSlotValue(dek, { orgId: org.id, name, type, keyVersion }, value, deps.random);
      const write: SlotWrite = { action: 'CreateSecret', orgId: org.id, name, keyVersion };
      const result = await deps.slots.upsert(
        {
          orgId: org.id,
          name,
          type,
          registryHost,
          keyVersion,
          ciphertext,
          createdAtMs: now,
          updatedAtMs: now,
        },
        (tx) => effect(tx, ctx, write),
      );
      if (!result.ok) {
        throw new AppError(
          'FAILED_PRECONDITION',
          `slot ${name} is a ${typeWord(result.existingType)} slot; delete it to change its type`,
        );
      }
      return {
        value: { name, type, createdAtMs: result.createdAtMs, updatedAtMs: result.updatedAtMs },
        receipt: result.receipt,
      };
    },

    async get(ctx, name) {
      requireScope(ctx, 'GetSecret');
      checkName(name);
      // Before the read: outside the grants is the same refusal whether or not the slot exists.
      requireSlot(ctx.principal, name);
      const record = await deps.slots.get(ctx.principal.orgId, name);
      // A slot of another org is looked up under the caller's org, so it is simply absent.
      if (record === undefined) throw new AppError('NOT_FOUND', `slot ${name} not found`);
      return reveal(ctx, record);
    },

    async list(ctx, { pageSize, pageToken }) {
      requireScope(ctx, 'ListSecrets');
      const after = decodePageToken(pageToken);
      const size =
        pageSize === undefined || pageSize <= 0
          ? LIMITS.defaultPageSize
          : Math.min(pageSize, LIMITS.maxPageSize);
      // Fetch one extra row to learn whether another page exists without a second query.
      const rows = await listGranted(ctx, after, size + 1);
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return {
        secrets: page.map(metadataOf),
        nextPageToken: rows.length > size && last !== undefined ? encodePageToken(last.name) : '',
      };
    },

    async delete(ctx, name) {
      requireScope(ctx, 'DeleteSecret');
      checkName(name);
      requireSlot(ctx.principal, name);
      const write: SlotWrite = {
        action: 'DeleteSecret',
        orgId: ctx.principal.orgId,
        name,
        keyVersion: undefined,
      };
      const { receipt } = await deps.slots.delete(ctx.principal.orgId, name, (tx) => effect(tx, ctx, write));
      return { value: undefined, receipt };
    },

    async findRegistry(ctx, host) {
      // Without a host this is docker's `list`: which registries have credentials and under
      // which username. That is metadata (ListSecrets), so no password leaves: a GetSecret
      // token can't dump every registry value with one call.
      requireScope(ctx, host === undefined ? 'ListSecrets' : 'GetSecret');
      let key: string | undefined;
      if (host !== undefined) {
        key = normaliseRegistryHost(host);
        if (key === undefined) throw new AppError('INVALID_ARGUMENT', 'host is not a registry host[:port]');
      }
      const records = await deps.slots.listRegistry(ctx.principal.orgId, key);
      const out: SlotWithValue[] = [];
      // Slots outside the grants are neither opened nor named: the lookup sees only granted slots.
      for (const record of records.filter((r) => slotAllowed(ctx.principal, r.name))) {
        const slot = await reveal(ctx, record);
        // The lookup key is kept in clear; the sealed address must agree with it, or an edited
        // row could hand one registry's credentials to another host.
        const sealedHost =
          'registrySecret' in slot.value
            ? normaliseRegistryHost(slot.value.registrySecret.serverAddress)
            : undefined;
        if (sealedHost !== record.registryHost) {
          integrityFailure(ctx, record);
        }
        out.push(host === undefined ? withoutPassword(slot) : slot);
      }
      return out;
    },
  };
}
