import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RandomBytes } from './aead';

/** Meta key of the token pepper (stored wrapped by the master key). */
export const TOKEN_PEPPER_META = 'token_pepper';
/** Wrap purpose of the pepper. */
export const TOKEN_PEPPER_PURPOSE = ['token-pepper'] as const;

const TOKEN_PATTERN = /^dodil_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A freshly minted API token: `dodil_<16 hex id>_<43 base64url secret>`. */
export interface MintedToken {
  id: string;
  secret: string;
  token: string;
}

/** Mints a token: a public lookup id and 256 random bits. */
export function mintToken(random: RandomBytes): MintedToken {
  const id = Buffer.from(random(8)).toString('hex');
  const secret = Buffer.from(random(32)).toString('base64url');
  return { id, secret, token: `dodil_${id}_${secret}` };
}

/** Splits a presented token into id and secret, or `undefined` when it is not one of ours. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(token);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { id: m[1], secret: m[2] };
}

/**
 * What a token's stored hash also vouches for. Someone who can write the
 * database file (but lacks the master key, hence the pepper) can't move a
 * token to another org, widen its scopes or lift its expiry: the hash stops
 * matching.
 */
export interface TokenBinding {
  orgId: string;
  scopes: readonly string[];
  expiresAtMs: number | undefined;
  /** Slot grants; undefined (every slot) leaves the hash as tokens made before grants existed. */
  grants?: readonly string[] | undefined;
}

/**
 * The stored form of a token: HMAC-SHA256 under a server pepper over the
 * token and its binding. A stolen database alone can neither use nor check
 * tokens, and the hash is cheap enough for the helper's hot path (unlike a
 * password hash).
 */
export function hashToken(pepper: Uint8Array, id: string, secret: string, binding: TokenBinding): Uint8Array {
  return createHmac('sha256', pepper)
    .update(
      `dodil.token.v2\0${id}:${secret}\0${binding.orgId}\0${binding.scopes.join(',')}\0${binding.expiresAtMs ?? '-'}${
        binding.grants === undefined ? '' : `\0grants:${binding.grants.join(',')}`
      }`,
    )
    .digest();
}

/** Constant-time comparison of a presented token against its stored hash and binding. */
export function tokenMatches(
  pepper: Uint8Array,
  id: string,
  secret: string,
  binding: TokenBinding,
  stored: Uint8Array,
): boolean {
  const presented = hashToken(pepper, id, secret, binding);
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
