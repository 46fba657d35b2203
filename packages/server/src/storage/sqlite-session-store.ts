import type { Database, Statement } from 'better-sqlite3';

/** A console session as stored: never the session id, never the token in clear. */
export interface SessionRecord {
  /** SHA-256 of the session id (the cookie holds the id). */
  idHash: Uint8Array;
  /** Public id of the bearer token the session is bound to (to end its sessions on revocation). */
  tokenId: string;
  /** The bearer token, sealed under a key derived from the session id. */
  sealedToken: Uint8Array;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Console session persistence (SPEC §10); shared by every replica through the database. */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  get(idHash: Uint8Array): Promise<SessionRecord | undefined>;
  /** True when a session was deleted. */
  delete(idHash: Uint8Array): Promise<boolean>;
  /** Deletes every session that expired before `nowMs`; returns how many. */
  deleteExpired(nowMs: number): Promise<number>;
}

interface SessionRow {
  id_hash: Buffer;
  token_id: string;
  sealed_token: Buffer;
  created_at_ms: number;
  expires_at_ms: number;
}

/** {@link SessionStore} on better-sqlite3. */
export function createSqliteSessionStore(db: Database): SessionStore {
  const insert = db.prepare(
    'INSERT INTO ui_sessions (id_hash, token_id, sealed_token, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)',
  );
  const get = db.prepare('SELECT * FROM ui_sessions WHERE id_hash = ?') as Statement<[Buffer], SessionRow>;
  const remove = db.prepare('DELETE FROM ui_sessions WHERE id_hash = ?');
  const expired = db.prepare('DELETE FROM ui_sessions WHERE expires_at_ms < ?');
  return {
    async create(s) {
      insert.run(Buffer.from(s.idHash), s.tokenId, Buffer.from(s.sealedToken), s.createdAtMs, s.expiresAtMs);
    },
    async get(idHash) {
      const row = get.get(Buffer.from(idHash));
      return row === undefined
        ? undefined
        : {
            idHash: row.id_hash,
            tokenId: row.token_id,
            sealedToken: row.sealed_token,
            createdAtMs: row.created_at_ms,
            expiresAtMs: row.expires_at_ms,
          };
    },
    async delete(idHash) {
      return remove.run(Buffer.from(idHash)).changes > 0;
    },
    async deleteExpired(nowMs) {
      return expired.run(nowMs).changes;
    },
  };
}
