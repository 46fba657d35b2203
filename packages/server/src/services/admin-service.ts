import { isScope, isSlotName } from '@dodil/shared';
import type { Scope } from '@dodil/shared';
import type { RandomBytes } from '../crypto/aead';
import type { OrgKeys } from '../crypto/org-keys';
import { AppError } from '../errors/app-error';
import type { OrgRecord, OrgStore, TokenStore } from '../storage/types';
import type { Clock } from './clock';
import { parseGrants } from './grants';
import { checkScopes, checkTokenName, storeNewToken } from './token-mint';

/** A token as the operator sees it in `token list` (never the token itself). */
export interface TokenInfo {
  id: string;
  org: string;
  name: string;
  scopes: Scope[];
  createdAtMs: number;
  expiresAtMs: number | undefined;
  revokedAtMs: number | undefined;
  /** Slot grant patterns; undefined = every slot. */
  grants: string[] | undefined;
  lastUsedAtMs: number | undefined;
  /** The token that minted this one over the API. */
  parentId: string | undefined;
}

/** Operator actions on orgs and tokens (docs/contract.md#tokens-orgs-and-scopes), run by the server binary's subcommands. */
export interface AdminService {
  createOrg(name: string): Promise<OrgRecord>;
  createToken(input: {
    org: string;
    scopes: readonly string[];
    name?: string;
    expiresInMs?: number;
    /** Slot grant patterns (`--slots`); absent = every slot. */
    slots?: readonly string[];
  }): Promise<{
    id: string;
    token: string;
  }>;
  listTokens(org: string): Promise<TokenInfo[]>;
  /** False when no live token has that id; revokes every token minted under it too. */
  revokeToken(id: string): Promise<boolean>;
}

/** Dependencies of {@link createAdminService}. */
export interface AdminServiceDeps {
  orgs: Pick<OrgStore, 'create' | 'getByName' | 'getById'>;
  tokens: Pick<TokenStore, 'create' | 'listByOrg' | 'revokeTree'>;
  keys: Pick<OrgKeys, 'create'>;
  pepper: Uint8Array;
  clock: Clock;
  random: RandomBytes;
}

/** The rule for org names (the slot-name rule). */
export const ORG_NAME_RULE = 'an org name is 1-64 characters of A-Z, a-z, 0-9, "-" and "_"';

/** Creates the {@link AdminService}. */
export function createAdminService(deps: AdminServiceDeps): AdminService {
  async function orgByName(name: string): Promise<OrgRecord> {
    const org = await deps.orgs.getByName(name);
    if (org === undefined) throw new AppError('NOT_FOUND', `org ${name} not found`);
    return org;
  }

  return {
    async createOrg(name) {
      if (!isSlotName(name)) throw new AppError('INVALID_ARGUMENT', `invalid org name: ${ORG_NAME_RULE}`);
      if ((await deps.orgs.getByName(name)) !== undefined) {
        throw new AppError('ALREADY_EXISTS', `org ${name} already exists`);
      }
      const now = deps.clock();
      const id = Buffer.from(deps.random(12)).toString('hex');
      const org: OrgRecord = { id, name, currentKeyVersion: 1, createdAtMs: now };
      await deps.orgs.create(org, deps.keys.create(id, 1, now));
      return org;
    },

    async createToken({ org: orgName, scopes, name = '', expiresInMs, slots }) {
      const org = await orgByName(orgName);
      const checked = checkScopes(scopes);
      checkTokenName(name);
      const grants = slots === undefined ? undefined : parseGrants(slots);
      if (expiresInMs !== undefined && !(expiresInMs > 0)) {
        throw new AppError('INVALID_ARGUMENT', 'expiry must be in the future');
      }
      const minted = await storeNewToken(deps, {
        orgId: org.id,
        name,
        scopes: checked,
        grants,
        expiresAtMs: expiresInMs === undefined ? undefined : deps.clock() + expiresInMs,
      });
      return { id: minted.id, token: minted.token };
    },

    async listTokens(orgName) {
      const org = await orgByName(orgName);
      const tokens = await deps.tokens.listByOrg(org.id);
      return tokens.map((t) => ({
        id: t.id,
        org: org.name,
        name: t.name,
        scopes: t.scopes.filter(isScope),
        createdAtMs: t.createdAtMs,
        expiresAtMs: t.expiresAtMs,
        revokedAtMs: t.revokedAtMs,
        grants: t.grants === undefined ? undefined : [...t.grants],
        lastUsedAtMs: t.lastUsedAtMs,
        parentId: t.parentId,
      }));
    },

    async revokeToken(id) {
      if (!/^[0-9a-f]{16}$/.test(id))
        throw new AppError('INVALID_ARGUMENT', 'a token id is 16 hex characters');
      return (await deps.tokens.revokeTree(id, deps.clock())).length > 0;
    },
  };
}
