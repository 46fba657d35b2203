import type { Scope } from '@dodil/shared';
import { isScope } from '@dodil/shared';
import type { RandomBytes } from '../crypto/aead';
import { AppError } from '../errors/app-error';
import type { TokenRecord, TokenStore } from '../storage/types';
import type { Clock } from './clock';
import { requireScope } from './context';
import type { CallContext } from './context';
import { grantsCovered, parseGrants } from './grants';
import { checkScopes, checkTokenName, storeNewToken } from './token-mint';
import type { MintedTokenInfo } from './token-mint';

/** A token as the tokens API and the console show it (never the token itself). */
export interface TokenView {
  id: string;
  name: string;
  scopes: Scope[];
  /** Slot grant patterns; undefined = every slot. */
  grants: string[] | undefined;
  createdAtMs: number;
  expiresAtMs: number | undefined;
  revokedAtMs: number | undefined;
  lastUsedAtMs: number | undefined;
  /** The token that minted it (the caller or one of its descendants). */
  parentId: string | undefined;
}

/** What a caller asks to mint. Absent scopes/slots/expiry inherit the caller's (never broader). */
export interface MintInput {
  name?: string | undefined;
  scopes: readonly string[];
  slots?: readonly string[] | undefined;
  expiresInSeconds?: number | undefined;
}

/**
 * The tokens API (docs/contract.md#least-privilege), shared by REST and the console: a caller with
 * ManageTokens mints tokens no broader than itself, and sees and revokes only
 * the tokens minted under it (at any depth).
 */
export interface TokenService {
  create(ctx: CallContext, input: MintInput): Promise<MintedTokenInfo>;
  /** The caller's descendants, oldest first. */
  list(ctx: CallContext): Promise<TokenView[]>;
  /** Revokes a descendant and its whole subtree; NOT_FOUND for any other id (as for a missing one). */
  revoke(ctx: CallContext, id: string): Promise<{ revoked: string[] }>;
}

/** Dependencies of {@link createTokenService}. */
export interface TokenServiceDeps {
  tokens: Pick<TokenStore, 'create' | 'listByOrg' | 'revokeTree'>;
  pepper: Uint8Array;
  clock: Clock;
  random: RandomBytes;
}

/** The longest expiry the API accepts (ten years), so arithmetic on it stays exact. */
export const MAX_EXPIRES_IN_SECONDS = 10 * 366 * 24 * 3600;

const TOKEN_ID = /^[0-9a-f]{16}$/;

/** Maps a stored token to its view, field by field. */
export function tokenView(t: TokenRecord): TokenView {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes.filter(isScope),
    grants: t.grants === undefined ? undefined : [...t.grants],
    createdAtMs: t.createdAtMs,
    expiresAtMs: t.expiresAtMs,
    revokedAtMs: t.revokedAtMs,
    lastUsedAtMs: t.lastUsedAtMs,
    parentId: t.parentId,
  };
}

/** The strict descendants of `rootId` among `all`, in `all`'s order. */
export function descendantsOf(all: readonly TokenRecord[], rootId: string): TokenRecord[] {
  const children = new Map<string, TokenRecord[]>();
  for (const t of all) {
    if (t.parentId === undefined) continue;
    const list = children.get(t.parentId) ?? [];
    list.push(t);
    children.set(t.parentId, list);
  }
  const inTree = new Set<string>();
  const queue = [rootId];
  // Bounded by the org's token count: each id is queued at most once.
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of children.get(next) ?? []) {
      if (inTree.has(child.id) || child.id === rootId) continue;
      inTree.add(child.id);
      queue.push(child.id);
    }
  }
  return all.filter((t) => inTree.has(t.id));
}

/** Creates the {@link TokenService}. */
export function createTokenService(deps: TokenServiceDeps): TokenService {
  function expiryOf(ctx: CallContext, expiresInSeconds: number | undefined): number | undefined {
    const callerExpiry = ctx.principal.expiresAtMs;
    if (expiresInSeconds === undefined) return callerExpiry;
    if (
      !Number.isSafeInteger(expiresInSeconds) ||
      expiresInSeconds <= 0 ||
      expiresInSeconds > MAX_EXPIRES_IN_SECONDS
    ) {
      throw new AppError(
        'INVALID_ARGUMENT',
        `expiresInSeconds is a whole number from 1 to ${MAX_EXPIRES_IN_SECONDS}`,
      );
    }
    const expiresAtMs = deps.clock() + expiresInSeconds * 1000;
    if (callerExpiry !== undefined && expiresAtMs > callerExpiry) {
      throw new AppError('PERMISSION_DENIED', 'a minted token cannot outlive the token that mints it');
    }
    return expiresAtMs;
  }

  return {
    async create(ctx, input) {
      requireScope(ctx, 'ManageTokens');
      const name = input.name ?? '';
      checkTokenName(name);
      const scopes = checkScopes(input.scopes);
      const grants = input.slots === undefined ? ctx.principal.grants : parseGrants(input.slots);
      const expiresAtMs = expiryOf(ctx, input.expiresInSeconds);
      const missing = scopes.filter((s) => !ctx.principal.scopes.has(s));
      if (missing.length > 0) {
        throw new AppError(
          'PERMISSION_DENIED',
          `a minted token cannot have scopes its minter lacks: ${missing.join(',')}`,
        );
      }
      if (!grantsCovered(ctx.principal.grants, grants)) {
        throw new AppError('PERMISSION_DENIED', "a minted token's slots must lie within the minter's slots");
      }
      return storeNewToken(deps, {
        orgId: ctx.principal.orgId,
        name,
        scopes,
        grants: grants === undefined ? undefined : [...grants],
        expiresAtMs,
        parentId: ctx.principal.tokenId,
      });
    },

    async list(ctx) {
      requireScope(ctx, 'ManageTokens');
      const all = await deps.tokens.listByOrg(ctx.principal.orgId);
      return descendantsOf(all, ctx.principal.tokenId).map(tokenView);
    },

    async revoke(ctx, id) {
      requireScope(ctx, 'ManageTokens');
      if (!TOKEN_ID.test(id)) throw new AppError('INVALID_ARGUMENT', 'a token id is 16 hex characters');
      const all = await deps.tokens.listByOrg(ctx.principal.orgId);
      // Another org's token, an ancestor, a sibling or a missing id: one answer for all.
      if (!descendantsOf(all, ctx.principal.tokenId).some((t) => t.id === id)) {
        throw new AppError('NOT_FOUND', `token ${id} not found`);
      }
      return { revoked: await deps.tokens.revokeTree(id, deps.clock()) };
    },
  };
}
