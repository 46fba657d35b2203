import type { SessionStore } from '../session-store';
import type { PgQueryable } from './pg-database';

interface SessionRow {
  id_hash: Buffer;
  token_id: string;
  sealed_token: Buffer;
  created_at_ms: number | string;
  expires_at_ms: number | string;
}

/** {@link SessionStore} on PostgreSQL: one table every replica reads, so a sign-out ends the session everywhere. */
export function createPgSessionStore(db: PgQueryable): SessionStore {
  return {
    async create(s) {
      await db.exec(
        'INSERT INTO ui_sessions (id_hash, token_id, sealed_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)',
        [Buffer.from(s.idHash), s.tokenId, Buffer.from(s.sealedToken), s.createdAtMs, s.expiresAtMs],
      );
    },
    async get(idHash) {
      const [row] = await db.rows<SessionRow>(
        'ui_session_get',
        'SELECT * FROM ui_sessions WHERE id_hash = $1',
        [Buffer.from(idHash)],
      );
      return row === undefined
        ? undefined
        : {
            idHash: row.id_hash,
            tokenId: row.token_id,
            sealedToken: row.sealed_token,
            createdAtMs: Number(row.created_at_ms),
            expiresAtMs: Number(row.expires_at_ms),
          };
    },
    async delete(idHash) {
      return (await db.exec('DELETE FROM ui_sessions WHERE id_hash = $1', [Buffer.from(idHash)])) > 0;
    },
    async deleteExpired(nowMs) {
      return db.exec('DELETE FROM ui_sessions WHERE expires_at_ms < $1', [nowMs]);
    },
  };
}
