import { isScope } from '@dodil/shared';
import type { Scope } from '@dodil/shared';
import { parseToken, tokenMatches } from '../crypto/api-token';
import type { TokenBinding } from '../crypto/api-token';
import { AppError } from '../errors/app-error';
import type { OrgStore, TokenStore } from '../storage/types';
import type { Clock } from './clock';
import type { Principal } from './context';

/** Authenticates bearer tokens; every protocol calls this one. */
export interface AuthService {
  /**
   * The principal of a valid `Authorization` header value; throws UNAUTHENTICATED otherwise
   * (RESOURCE_EXHAUSTED once an address has failed too often). `requestId` goes into the audit log.
   */
  authenticate(
    authorization: string | undefined,
    clientAddress: string,
    requestId?: string,
  ): Promise<Principal>;
}

/** Dependencies of {@link createAuthService}. */
export interface AuthServiceDeps {
  tokens: Pick<TokenStore, 'get' | 'changeStamp' | 'touch'>;
  orgs: Pick<OrgStore, 'getById'>;
  pepper: Uint8Array;
  clock: Clock;
  /** The hash check (the real one by default; tests wrap it to see which steps ran). */
  tokenMatches?: typeof tokenMatches;
}

/**
 * What an unknown token id is checked against, so that it costs the same
 * HMAC and comparison as a known id with a wrong secret: response time then
 * says nothing about whether an id exists. It can never match (no HMAC output
 * is 32 zero bytes in practice, and the result is ignored anyway).
 */
const DECOY: TokenBinding & { hash: Uint8Array } = {
  orgId: '00000000-0000-0000-0000-000000000000',
  scopes: ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret'],
  expiresAtMs: undefined,
  hash: new Uint8Array(32),
};

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Verified tokens kept at most; the whole cache is dropped when it is full (simple and bounded). */
const MAX_VERIFIED = 10_000;

interface Verified {
  principal: Principal;
  expiresAtMs: number | undefined;
  stamp: number;
}

/** `token list` shows last use to the minute: one write per token per minute at most. */
export const LAST_USE_RESOLUTION_MS = 60_000;

/** Creates the {@link AuthService}. */
export function createAuthService(deps: AuthServiceDeps): AuthService {
  // When this process last wrote each token's last use (bounded like the verification cache).
  const lastWritten = new Map<string, number>();

  // The write when one is due, else undefined: the usual call (a token used in the last minute)
  // costs no promise. The store may batch it (SQLite: every use of a turn in one transaction,
  // written after the turn); the request waits for it, so a listing after the response shows it.
  function noteUse(tokenId: string, stored: number | undefined): Promise<void> | undefined {
    const now = deps.clock();
    const last = lastWritten.get(tokenId) ?? stored;
    if (last !== undefined && now - last < LAST_USE_RESOLUTION_MS) return undefined;
    if (lastWritten.size >= MAX_VERIFIED) lastWritten.clear();
    lastWritten.set(tokenId, now);
    // Last use is informational: a failed write must not refuse a valid token.
    return deps.tokens.touch(tokenId, now).catch(() => undefined);
  }

  // Org names never change, so caching id → name is safe and saves a query per call.
  const orgNames = new Map<string, string>();

  async function orgName(orgId: string): Promise<string | undefined> {
    const cached = orgNames.get(orgId);
    if (cached !== undefined) return cached;
    const org = await deps.orgs.getById(orgId);
    if (org !== undefined) orgNames.set(orgId, org.name);
    return org?.name;
  }

  // Successful verifications only (a wrong or unknown token always takes the full path), keyed by
  // the presented token and valid while the token store's change stamp holds still: any token
  // write, here or by the admin CLI in another process, drops them all before the next request.
  // Saves the token row read and the HMAC on every call of a token seen before.
  const verified = new Map<string, Verified>();
  const matches = deps.tokenMatches ?? tokenMatches;

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        throw new AppError('UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)');
      }
      const bearer = BEARER.exec(authorization)?.[1];
      const parsed = bearer === undefined ? undefined : parseToken(bearer);
      if (parsed === undefined || bearer === undefined)
        throw new AppError('UNAUTHENTICATED', 'malformed bearer token');
      const stamp =
        typeof __DODIL_BENCH_UNDO_TOKEN_CACHE__ === 'boolean' && __DODIL_BENCH_UNDO_TOKEN_CACHE__
          ? undefined
          : deps.tokens.changeStamp?.();
      const hit = stamp === undefined ? undefined : verified.get(bearer);
      if (hit !== undefined && hit.stamp === stamp) {
        if (hit.expiresAtMs === undefined || deps.clock() < hit.expiresAtMs) {
          const writing = noteUse(hit.principal.tokenId, undefined);
          if (writing !== undefined) await writing;
          return hit.principal;
        }
        verified.delete(bearer);
      }
      const record = await deps.tokens.get(parsed.id);
      // Both paths (unknown id; known id, wrong secret) run the same HMAC and comparison.
      const against = record ?? DECOY;
      const matched = matches(deps.pepper, parsed.id, parsed.secret, against, against.hash);
      if (record === undefined || !matched) throw new AppError('UNAUTHENTICATED', 'unknown token');
      // Only a holder of the real token learns why it stopped working.
      if (record.revokedAtMs !== undefined) throw new AppError('UNAUTHENTICATED', 'token revoked');
      if (record.expiresAtMs !== undefined && deps.clock() >= record.expiresAtMs) {
        throw new AppError('UNAUTHENTICATED', 'token expired');
      }
      const name = await orgName(record.orgId);
      if (name === undefined) throw new AppError('UNAUTHENTICATED', 'unknown token');
      const scopes = new Set<Scope>(record.scopes.filter(isScope));
      const principal: Principal = Object.freeze({
        orgId: record.orgId,
        orgName: name,
        tokenId: record.id,
        scopes,
        grants: record.grants === undefined ? undefined : Object.freeze([...record.grants]),
        expiresAtMs: record.expiresAtMs,
      });
      const writing = noteUse(record.id, record.lastUsedAtMs);
      if (writing !== undefined) await writing;
      if (stamp !== undefined) {
        if (verified.size >= MAX_VERIFIED) verified.clear();
        verified.set(bearer, { principal, expiresAtMs: record.expiresAtMs, stamp });
      }
      return principal;
    },
  };
}
