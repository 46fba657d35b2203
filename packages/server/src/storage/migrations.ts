import type { Database } from 'better-sqlite3';

/**
 * Forward-only schema migrations, keyed by SQLite's `user_version`: entry i
 * moves the schema from version i to i+1. Never edit a shipped entry; append.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE orgs (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    current_key_version INTEGER NOT NULL,
    created_at_ms       INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE org_keys (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    version       INTEGER NOT NULL,
    wrapped       BLOB NOT NULL,
    encryptions   INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (org_id, version)
  ) WITHOUT ROWID;

  CREATE TABLE slots (
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    name          TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('git_secret', 'registry_secret')),
    registry_host TEXT,
    key_version   INTEGER NOT NULL,
    ciphertext    BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
  ) WITHOUT ROWID;
  CREATE INDEX slots_by_registry_host ON slots (org_id, registry_host) WHERE registry_host IS NOT NULL;

  CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id),
    name          TEXT NOT NULL,
    hash          BLOB NOT NULL,
    scopes        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER,
    revoked_at_ms INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX tokens_by_org ON tokens (org_id);
  `,
  // 2: the HMAC-chained audit log (src/audit). `seq` is the chain position, 1..N with no gaps;
  // `mac` = HMAC(audit key, previous mac ‖ canonical entry). Never a value or a token in here.
  `
  CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    time_ms        INTEGER NOT NULL,
    request_id     TEXT NOT NULL,
    token_id       TEXT,
    org_id         TEXT,
    org            TEXT,
    action         TEXT NOT NULL,
    slot           TEXT,
    code           TEXT NOT NULL,
    client_address TEXT NOT NULL,
    detail         TEXT,
    mac            BLOB NOT NULL
  );
  CREATE INDEX audit_by_org ON audit_log (org, seq);
  `,
  // 3: every audited request paid for that index; only `audit list --org` (an operator's scan) used it.
  `
  DROP INDEX IF EXISTS audit_by_org;
  `,
  // 4: least privilege (docs/contract.md#least-privilege): slot grants, the minting tree, last use, OIDC trusts and the
  // jti values already exchanged. NULL grants = every slot (tokens made before this migration).
  `
  ALTER TABLE tokens ADD COLUMN grants TEXT;
  ALTER TABLE tokens ADD COLUMN parent_id TEXT;
  ALTER TABLE tokens ADD COLUMN trust_id TEXT;
  ALTER TABLE tokens ADD COLUMN last_used_at_ms INTEGER;
  CREATE INDEX tokens_by_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;
  CREATE INDEX tokens_exchanged ON tokens (expires_at_ms) WHERE trust_id IS NOT NULL;

  CREATE TABLE oidc_trusts (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs(id),
    name              TEXT NOT NULL,
    issuer            TEXT NOT NULL,
    jwks_url          TEXT,
    jwks_json         TEXT,
    audience          TEXT NOT NULL,
    claims            TEXT NOT NULL,
    scopes            TEXT NOT NULL,
    grants            TEXT,
    ttl_ms            INTEGER NOT NULL,
    allow_reexchange  INTEGER NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    UNIQUE (org_id, name)
  ) WITHOUT ROWID;

  CREATE TABLE oidc_used_jti (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
  ) WITHOUT ROWID;
  CREATE INDEX oidc_used_jti_by_expiry ON oidc_used_jti (expires_at_ms);
  `,
  // 5: console sessions (docs/contract.md#web-console). Only a hash of the session id is kept; the bearer token it is
  // bound to is sealed under a key derived from the id, so this table alone opens nothing.
  `
  CREATE TABLE ui_sessions (
    id_hash       BLOB PRIMARY KEY,
    token_id      TEXT NOT NULL,
    sealed_token  BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX ui_sessions_by_expiry ON ui_sessions (expires_at_ms);
  `,
];

/** Applies every migration above the database's `user_version`, each in its own transaction. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the database schema (version ${current}) is newer than this program understands (${MIGRATIONS.length})`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] ?? '';
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
