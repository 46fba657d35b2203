import type { RandomBytes } from '../crypto/aead';
import type { MasterKey } from '../crypto/master-key';
import type { MetaStore, Storage, Tx } from '../storage/types';
import { createAuditLog, initialHead } from './audit-log';
import { AUDIT_KEY_HISTORY_META, AUDIT_KEY_HISTORY_PURPOSE, decodeKeyHistory } from './audit-key-history';
import type { AuditLog, AuditObserver, DiskFloor } from './audit-log';

/** Meta key of the audit key, stored wrapped by the master key (so it is re-wrapped by rotate-master). */
export const AUDIT_KEY_META = 'audit_key';
/** Wrap purpose of the audit key. */
export const AUDIT_KEY_PURPOSE = ['audit-key'] as const;

/** What {@link openAuditLog} needs. */
export interface OpenAuditLogDeps {
  meta: Pick<MetaStore, 'putIfAbsent' | 'get'>;
  storage: Pick<Storage, 'audit' | 'write' | 'read'>;
  master: MasterKey;
  random: RandomBytes;
  clock: () => number;
  /** Whether the store already holds orgs (a chain started late is said so in its first entry). */
  hasOrgs: (tx: Tx) => Promise<boolean>;
  schedule?: (flush: () => void) => void;
  diskFloor?: DiskFloor;
  /** Counts appended and failed entries (docs/contract.md#operating-it metrics). */
  observer?: AuditObserver;
}

/**
 * Loads (or creates) the audit key and the chain head. The key is random and
 * wrapped by the master key: "keyed from the master key" without being
 * derived from it, so rotate-master re-wraps it and old entries stay
 * verifiable. A chain that starts on a store that already has orgs records
 * that fact first, so wiping the whole log (key, head and entries) shows.
 */
export async function openAuditLog(deps: OpenAuditLogDeps): Promise<AuditLog> {
  const { master, random } = deps;
  const wrapped = await deps.meta.putIfAbsent(
    AUDIT_KEY_META,
    master.wrap(random(32), AUDIT_KEY_PURPOSE, random),
  );
  const key = master.unwrap(wrapped, AUDIT_KEY_PURPOSE);
  const wrappedHistory = await deps.meta.get(AUDIT_KEY_HISTORY_META);
  const history =
    wrappedHistory === undefined
      ? []
      : decodeKeyHistory(master.unwrap(wrappedHistory, AUDIT_KEY_HISTORY_PURPOSE));
  const log = createAuditLog({
    storage: deps.storage,
    key,
    history,
    ...(deps.schedule ? { schedule: deps.schedule } : {}),
    ...(deps.diskFloor ? { diskFloor: deps.diskFloor } : {}),
    ...(deps.observer ? { observer: deps.observer } : {}),
  });
  const store = deps.storage.audit;
  await deps.storage.write(async (tx) => {
    // Only a brand-new chain gets a head; a missing head next to entries is tampering, left for verify.
    if ((await store.readHead(tx)) !== undefined || (await store.last(tx)) !== undefined) return;
    await store.writeHead(tx, initialHead(key));
    if (await deps.hasOrgs(tx)) {
      await log.appendInTransaction(tx, {
        timeMs: deps.clock(),
        requestId: 'audit-init',
        tokenId: undefined,
        orgId: undefined,
        org: undefined,
        action: 'audit.init',
        slot: undefined,
        code: 'OK',
        clientAddress: 'local',
        detail: 'audit chain started on a store that already holds orgs',
      });
    }
  });
  return log;
}
