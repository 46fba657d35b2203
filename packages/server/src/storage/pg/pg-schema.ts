import type { PgDatabase } from './pg-database';

/**
 * Forward-only, additive PostgreSQL migrations: entry i moves the schema from version i to i+1.
 * Never edit a shipped entry; append. Additive only (new tables, new nullable or defaulted
 * columns, new indexes), so replicas of version N keep working while others already run N+1.
 * Times are ms since the epoch in BIGINT (read back as numbers, see pg-database.ts).
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
  );

  CREATE TABLE orgs (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    current_key_version INTEGER NOT NULL,
    created_at_ms       BIGINT NOT NULL
  );

  CREATE TABLE org_keys (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    version       INTEGER NOT NULL,
    wrapped       BYTEA NOT NULL,
    encryptions   BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, version)
  );

  CREATE TABLE slots (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    name          TEXT COLLATE "C" NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('git_secret', 'registry_secret')),
    registry_host TEXT,
    key_version   INTEGER NOT NULL,
    ciphertext    BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
  );
  CREATE INDEX slots_by_registry_host ON slots (org_id, registry_host) WHERE registry_host IS NOT NULL;

  CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    name          TEXT NOT NULL,
    hash          BYTEA NOT NULL,
    scopes        TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT,
    revoked_at_ms BIGINT
  );
  CREATE INDEX tokens_by_org ON tokens (org_id);

  -- One chain for every replica: seq is the chain position 1..N, unique, no gaps.
  CREATE TABLE audit_log (
    seq            BIGINT PRIMARY KEY,
    time_ms        BIGINT NOT NULL,
    request_id     TEXT NOT NULL,
    token_id       TEXT,
    org_id         TEXT,
    org            TEXT,
    action         TEXT NOT NULL,
    slot           TEXT,
    code           TEXT NOT NULL,
    client_address TEXT NOT NULL,
    detail         TEXT,
    mac            BYTEA NOT NULL
  );

  -- Cache coherence: every change other replicas must see (a token revoked, an org key rotated,
  -- the master key rotated) bumps this counter and sends NOTIFY dodil_changes in the same
  -- transaction. Replicas LISTEN, and poll the counter as a bounded fallback.
  CREATE TABLE change_counter (
    id  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    seq BIGINT NOT NULL
  );
  INSERT INTO change_counter (id, seq) VALUES (TRUE, 0);
  `,
  // 2: least privilege (docs/contract.md#least-privilege), as SQLite's migration 4: slot grants, the minting tree, last use,
  // OIDC trusts and the jti values already exchanged. NULL grants = every slot.
  `
  ALTER TABLE tokens ADD COLUMN grants TEXT;
  ALTER TABLE tokens ADD COLUMN parent_id TEXT;
  ALTER TABLE tokens ADD COLUMN trust_id TEXT;
  ALTER TABLE tokens ADD COLUMN last_used_at_ms BIGINT;
  CREATE INDEX tokens_by_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX tokens_exchanged ON tokens (expires_at_ms) WHERE trust_id IS NOT NULL;

  CREATE TABLE oidc_trusts (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id),
    name             TEXT NOT NULL,
    issuer           TEXT NOT NULL,
    jwks_url         TEXT,
    jwks_json        TEXT,
    audience         TEXT NOT NULL,
    claims           TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    grants           TEXT,
    ttl_ms           BIGINT NOT NULL,
    allow_reexchange INTEGER NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    UNIQUE (org_id, name)
  );

  CREATE TABLE oidc_used_jti (
    issuer        TEXT NOT NULL,
    jti           TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
  );
  CREATE INDEX oidc_used_jti_by_expiry ON oidc_used_jti (expires_at_ms);
  `,
  // 3: console sessions (docs/contract.md#web-console), as SQLite's migration 5: only the id's hash and the sealed token.
  `
  CREATE TABLE ui_sessions (
    id_hash       BYTEA PRIMARY KEY,
    token_id      TEXT NOT NULL,
    sealed_token  BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
  );
  CREATE INDEX ui_sessions_by_expiry ON ui_sessions (expires_at_ms);
  `,
];

/** The table holding the schema version (PostgreSQL has no user_version). */
const VERSION_TABLE = 'dodil_schema';
/** Key of the session advisory lock that serialises migrations across replicas ("dodil" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x646f64696c;

/** Thrown when the database was migrated by a newer release than this one. */
export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

/**
 * Creates or migrates the schema under a session advisory lock, so replicas starting together
 * migrate once and the others wait, then find nothing to do. Refuses a schema newer than this
 * binary knows (a rolling upgrade must not run old code on a new schema it can't read).
 */
export async function migratePg(db: PgDatabase): Promise<number> {
  return db.transaction(async (tx) => {
    // Transaction-scoped: released by COMMIT/ROLLBACK, or by the server when the connection dies.
    await tx.exec('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER NOT NULL)`);
    const rows = await tx.rows<{ version: number }>('schema_version', `SELECT version FROM ${VERSION_TABLE}`);
    const current = rows[0]?.version ?? 0;
    if (rows.length === 0) await tx.exec(`INSERT INTO ${VERSION_TABLE} (version) VALUES (0)`);
    if (current > PG_MIGRATIONS.length) {
      throw new SchemaTooNewError(
        `the database schema (version ${current}) is newer than this program understands (${PG_MIGRATIONS.length}); upgrade this binary`,
      );
    }
    for (let version = current; version < PG_MIGRATIONS.length; version++) {
      await tx.exec(PG_MIGRATIONS[version] ?? '');
    }
    if (current < PG_MIGRATIONS.length)
      await tx.exec(`UPDATE ${VERSION_TABLE} SET version = $1`, [PG_MIGRATIONS.length]);
    return PG_MIGRATIONS.length;
  });
}
