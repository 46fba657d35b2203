import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RandomBytes } from '../crypto/aead';
import { aad, open, seal } from '../crypto/aead';
import { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import type { Clock } from '../services/clock';
import type { Principal } from '../services/context';
import type { SessionStore } from '../storage/session-store';

/** A console session, resumed for one request. */
export interface ConsoleSession {
  principal: Principal;
  /** The per-session CSRF token every form carries. */
  csrf: string;
}

/** Starts, resumes and ends console sessions (docs/contract.md#web-console). */
export interface SessionService {
  /** Signs in with an API token (through the auth service: throttled, audited); returns the cookie value. */
  start(
    token: string,
    clientAddress: string,
    requestId: string,
  ): Promise<{ cookie: string; session: ConsoleSession }>;
  /**
   * The session of a cookie value, with its token re-checked through the auth service on every
   * call; `undefined` (and the session deleted) once it ended, expired, or its token did.
   */
  resume(
    cookie: string | undefined,
    clientAddress: string,
    requestId: string,
  ): Promise<ConsoleSession | undefined>;
  end(cookie: string | undefined): Promise<void>;
  /** Whether `presented` is the session's CSRF token (constant time). */
  csrfMatches(session: ConsoleSession, presented: string | undefined): boolean;
}

/** Dependencies of {@link createSessionService}. */
export interface SessionServiceDeps {
  store: SessionStore;
  auth: Pick<AuthService, 'authenticate'>;
  clock: Clock;
  random: RandomBytes;
  /** Absolute lifetime of a session (the token's own expiry and revocation end it sooner). */
  ttlMs?: number;
}

/** Default session lifetime: a working day. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const ID_BYTES = 32;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

// The id is 256 random bits, so plain hashes are enough to separate its uses: the stored lookup
// key, the key that seals the token, and the CSRF token. None can be derived from another.
const derive = (id: Uint8Array, purpose: string) =>
  createHash('sha256').update(`dodil.ui.${purpose}\0`).update(id).digest();

/** Creates the {@link SessionService}. */
export function createSessionService(deps: SessionServiceDeps): SessionService {
  const ttl = deps.ttlMs ?? SESSION_TTL_MS;
  const bearer = (token: string) => `Bearer ${token}`;
  const csrfOf = (id: Uint8Array) => createHmac('sha256', id).update('dodil.ui.csrf').digest('base64url');
  const decode = (cookie: string | undefined) =>
    cookie !== undefined && COOKIE_VALUE.test(cookie)
      ? new Uint8Array(Buffer.from(cookie, 'base64url'))
      : undefined;

  return {
    async start(token, clientAddress, requestId) {
      const trimmed = token.trim();
      if (trimmed === '' || /\s/.test(trimmed))
        throw new AppError('UNAUTHENTICATED', 'malformed bearer token');
      const principal = await deps.auth.authenticate(bearer(trimmed), clientAddress, requestId);
      const id = deps.random(ID_BYTES);
      const idHash = derive(id, 'session-id');
      const now = deps.clock();
      await deps.store.deleteExpired(now);
      await deps.store.create({
        idHash,
        tokenId: principal.tokenId,
        sealedToken: seal(
          derive(id, 'session-key'),
          Buffer.from(trimmed, 'utf8'),
          aad('ui-session', principal.tokenId),
          deps.random,
        ),
        createdAtMs: now,
        expiresAtMs: now + ttl,
      });
      return { cookie: Buffer.from(id).toString('base64url'), session: { principal, csrf: csrfOf(id) } };
    },

    async resume(cookie, clientAddress, requestId) {
      const id = decode(cookie);
      if (id === undefined) return undefined;
      const idHash = derive(id, 'session-id');
      const record = await deps.store.get(idHash);
      if (record === undefined) return undefined;
      if (deps.clock() >= record.expiresAtMs) {
        await deps.store.delete(idHash);
        return undefined;
      }
      let token: string;
      try {
        token = Buffer.from(
          open(derive(id, 'session-key'), record.sealedToken, aad('ui-session', record.tokenId)),
        ).toString('utf8');
      } catch {
        await deps.store.delete(idHash);
        return undefined;
      }
      try {
        const principal = await deps.auth.authenticate(bearer(token), clientAddress, requestId);
        return { principal, csrf: csrfOf(id) };
      } catch (err) {
        // Revoked or expired: the session ends with its token. A throttled address keeps it.
        if (err instanceof AppError && err.code === 'UNAUTHENTICATED') {
          await deps.store.delete(idHash);
          return undefined;
        }
        throw err;
      }
    },

    async end(cookie) {
      const id = decode(cookie);
      if (id !== undefined) await deps.store.delete(derive(id, 'session-id'));
    },

    csrfMatches(session, presented) {
      if (presented === undefined) return false;
      const a = Buffer.from(session.csrf);
      const b = Buffer.from(presented);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
