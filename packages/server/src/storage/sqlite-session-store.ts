import type { SessionStore } from './session-store';
import type { SqliteConnection } from './sqlite-connection';

interface SessionRow {
  id_hash: Buffer;
  token_id: string;
  sealed_token: Buffer;
  created_at_ms: number;
  expires_at_ms: number;
}

/** {@link SessionStore} on better-sqlite3 (table `ui_sessions`, migration 4). */
export function createSqliteSessionStore(conn: SqliteConnection): SessionStore {
  const { db } = conn;
  const insert = db.prepare(
    'INSERT INTO ui_sessions (id_hash, token_id, sealed_token, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)',
  );
  const get = db.prepare<[Buffer], SessionRow>('SELECT * FROM ui_sessions WHERE id_hash = ?');
  const remove = db.prepare('DELETE FROM ui_sessions WHERE id_hash = ?');
  const expired = db.prepare('DELETE FROM ui_sessions WHERE expires_at_ms < ?');
  return {
    async create(s) {
      await conn.writeOutside(() =>
        insert.run(
          Buffer.from(s.idHash),
          s.tokenId,
          Buffer.from(s.sealedToken),
          s.createdAtMs,
          s.expiresAtMs,
        ),
      );
    },
    async get(idHash) {
      if (conn.busy) await conn.outside();
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
    delete: (idHash) => conn.writeOutside(() => remove.run(Buffer.from(idHash)).changes > 0),
    deleteExpired: (nowMs) => conn.writeOutside(() => expired.run(nowMs).changes),
  };
}
