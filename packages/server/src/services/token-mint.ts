import { ALL_SCOPES, isScope } from '@dodil/shared';
import type { Scope } from '@dodil/shared';
import type { RandomBytes } from '../crypto/aead';
import { hashToken, mintToken } from '../crypto/api-token';
import { AppError } from '../errors/app-error';
import type { TokenStore } from '../storage/types';
import type { Clock } from './clock';

/** What minting a token needs (the admin commands, the tokens API and the OIDC exchange share it). */
export interface MintDeps {
  tokens: Pick<TokenStore, 'create'>;
  pepper: Uint8Array;
  clock: Clock;
  random: RandomBytes;
}

/** A token about to be minted, already validated and checked against its minter. */
export interface MintRequest {
  orgId: string;
  name: string;
  scopes: readonly Scope[];
  /** undefined = every slot. */
  grants: readonly string[] | undefined;
  expiresAtMs: number | undefined;
  parentId?: string | undefined;
  trustId?: string | undefined;
}

/** A minted token: shown once. */
export interface MintedTokenInfo {
  id: string;
  token: string;
  expiresAtMs: number | undefined;
}

/** Validates a scope list (at least one, each known); duplicates dropped. Throws INVALID_ARGUMENT. */
export function checkScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0)
    throw new AppError('INVALID_ARGUMENT', `give at least one scope of ${ALL_SCOPES.join(',')}`);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    // Only names that are scope-shaped are echoed; anything else is caller text of any shape.
    const shown = unknown.every((s) => /^[A-Za-z]{1,32}$/.test(s)) ? ` ${unknown.join(',')}` : '';
    throw new AppError('INVALID_ARGUMENT', `unknown scope${shown}; scopes are ${ALL_SCOPES.join(',')}`);
  }
  return [...new Set(scopes.filter(isScope))];
}

/** Validates a token label (at most 128 characters on one line). */
export function checkTokenName(name: string): void {
  if (name.length > 128 || /[\r\n\0]/.test(name)) {
    throw new AppError('INVALID_ARGUMENT', 'a token name is at most 128 characters on one line');
  }
}

/** Mints a token and stores only its hash (bound to org, scopes, expiry and grants). */
export async function storeNewToken(deps: MintDeps, request: MintRequest): Promise<MintedTokenInfo> {
  const minted = mintToken(deps.random);
  const binding = {
    orgId: request.orgId,
    scopes: [...request.scopes],
    expiresAtMs: request.expiresAtMs,
    grants: request.grants,
  };
  await deps.tokens.create({
    id: minted.id,
    orgId: request.orgId,
    name: request.name,
    hash: hashToken(deps.pepper, minted.id, minted.secret, binding),
    scopes: binding.scopes,
    createdAtMs: deps.clock(),
    expiresAtMs: request.expiresAtMs,
    revokedAtMs: undefined,
    grants: request.grants,
    parentId: request.parentId,
    trustId: request.trustId,
  });
  return { id: minted.id, token: minted.token, expiresAtMs: request.expiresAtMs };
}
