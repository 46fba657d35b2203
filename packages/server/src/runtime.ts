import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { RandomBytes } from './crypto/aead';
import { TOKEN_PEPPER_META, TOKEN_PEPPER_PURPOSE } from './crypto/api-token';
import { KEY_CHECK_META, MasterKey } from './crypto/master-key';
import { OrgKeys } from './crypto/org-keys';
import { createAdminService } from './services/admin-service';
import { createAuthService } from './services/auth-service';
import { systemClock } from './services/clock';
import type { Clock } from './services/clock';
import { createSecretService } from './services/secret-service';
import type { SecretServiceDeps } from './services/secret-service';
import { openDatabase } from './storage/database';
import { createSqliteMetaStore, createSqliteOrgStore } from './storage/sqlite-org-store';
import { createSqliteSessionStore } from './storage/sqlite-session-store';
import type { SessionStore } from './storage/sqlite-session-store';
import { createSqliteSlotStore } from './storage/sqlite-slot-store';
import { createSqliteTokenStore } from './storage/sqlite-token-store';
import type { OrgStore, SlotStore } from './storage/types';
import { secureServices } from './ops/secure-services';
import type { SecureServices, SecurityOptions } from './ops/secure-services';

/** What {@link openRuntime} needs. */
export interface RuntimeOptions {
  databaseFile: string;
  masterKey: Uint8Array;
  nativeBinding?: unknown;
  clock?: Clock;
  random?: RandomBytes;
  onIntegrityFailure?: SecretServiceDeps['onIntegrityFailure'];
  /** Audit, throttling, key budget and key guard settings (defaults in docs/security.md). */
  security?: SecurityOptions;
}

/**
 * An open data directory: database, keys and the services on top (the
 * decorated services of {@link SecureServices}: audit log, key store, key
 * budget and key guard).
 */
export interface Runtime extends SecureServices {
  db: Database;
  stores: { slots: SlotStore; orgs: OrgStore; sessions: SessionStore };
  master: MasterKey;
  orgKeys: OrgKeys;
  clock: Clock;
  random: RandomBytes;
  /** True while the database answers and the keys are usable (readiness). */
  isReady(): Promise<boolean>;
  close(): void;
}

/** Thrown when the master key is not the one this data directory was created with. */
export class WrongMasterKeyError extends Error {
  override readonly name = 'WrongMasterKeyError';
}

const defaultRandom: RandomBytes = (n) => new Uint8Array(randomBytes(n));

/**
 * Opens the store and checks the master key against the stored key check
 * value, so a wrong key is refused at start instead of failing every read.
 */
export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? defaultRandom;
  const db = openDatabase(options.databaseFile, { nativeBinding: options.nativeBinding });
  try {
    const meta = createSqliteMetaStore(db);
    const master = new MasterKey(options.masterKey);
    const check = await meta.putIfAbsent(KEY_CHECK_META, master.checkValue());
    if (!master.matches(check)) {
      throw new WrongMasterKeyError('the master key does not open this data directory');
    }
    const wrappedPepper = await meta.putIfAbsent(
      TOKEN_PEPPER_META,
      master.wrap(random(32), TOKEN_PEPPER_PURPOSE, random),
    );
    const pepper = master.unwrap(wrappedPepper, TOKEN_PEPPER_PURPOSE);
    const slots = createSqliteSlotStore(db);
    const orgs = createSqliteOrgStore(db);
    const tokens = createSqliteTokenStore(db);
    const orgKeys = new OrgKeys(master, orgs, random);
    // Deleted and overwritten cells (old ciphertext, replaced wrapped keys) are zeroed in the file.
    db.pragma('secure_delete = ON');
    const secured = await secureServices({
      db,
      meta,
      master,
      orgKeys,
      clock,
      random,
      options: options.security ?? {},
      makeSecrets: (inWriteTransaction) =>
        createSecretService({
          slots,
          orgs,
          keys: orgKeys,
          clock,
          random,
          inWriteTransaction,
          ...(options.onIntegrityFailure ? { onIntegrityFailure: options.onIntegrityFailure } : {}),
        }),
      auth: createAuthService({ tokens, orgs, pepper, clock }),
      admin: createAdminService({ orgs, tokens, keys: orgKeys, pepper, clock, random }),
    });
    return {
      db,
      stores: { slots, orgs, sessions: createSqliteSessionStore(db) },
      master,
      orgKeys,
      clock,
      random,
      ...secured,
      async isReady() {
        try {
          // verifyNow re-reads the stored key check value and compares it with this master key.
          return secured.guard.verifyNow() && secured.audit.isAppendable();
        } catch {
          return false;
        }
      },
      close() {
        if (!db.open) return;
        // Entries waiting for their group commit are written (and their callers answered) first.
        secured.audit.flush();
        db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
