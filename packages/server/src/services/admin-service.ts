import { SCOPES, isScope, isSlotName } from '@dodil/shared';
import type { Scope } from '@dodil/shared';
import type { RandomBytes } from '../crypto/aead';
import { hashToken, mintToken } from '../crypto/api-token';
import type { OrgKeys } from '../crypto/org-keys';
import { AppError } from '../errors/app-error';
import type { OrgRecord, OrgStore, TokenStore } from '../storage/types';
import type { Clock } from './clock';

/** A token as the operator sees it in `token list` (never the token itself). */
export interface TokenInfo {
  id: string;
  org: string;
  name: string;
  scopes: Scope[];
  createdAtMs: number;
  expiresAtMs: number | undefined;
  revokedAtMs: number | undefined;
}

/** Operator actions on orgs and tokens (docs/contract.md#tokens-orgs-and-scopes), run by the server binary's subcommands. */
export interface AdminService {
  createOrg(name: string): Promise<OrgRecord>;
  createToken(input: { org: string; scopes: readonly string[]; name?: string; expiresInMs?: number }): Promise<{
    id: string;
    token: string;
  }>;
  listTokens(org: string): Promise<TokenInfo[]>;
  /** False when no live token has that id. */
  revokeToken(id: string): Promise<boolean>;
}

/** Dependencies of {@link createAdminService}. */
export interface AdminServiceDeps {
  orgs: Pick<OrgStore, 'create' | 'getByName' | 'getById'>;
  tokens: Pick<TokenStore, 'create' | 'listByOrg' | 'revoke'>;
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

    async createToken({ org: orgName, scopes, name = '', expiresInMs }) {
      const org = await orgByName(orgName);
      if (scopes.length === 0) throw new AppError('INVALID_ARGUMENT', `give at least one scope of ${SCOPES.join(',')}`);
      const unknown = scopes.filter((s) => !isScope(s));
      if (unknown.length > 0) {
        throw new AppError('INVALID_ARGUMENT', `unknown scope ${unknown.join(',')}; scopes are ${SCOPES.join(',')}`);
      }
      if (name.length > 128 || /[\r\n\0]/.test(name)) {
        throw new AppError('INVALID_ARGUMENT', 'a token name is at most 128 characters on one line');
      }
      if (expiresInMs !== undefined && !(expiresInMs > 0)) {
        throw new AppError('INVALID_ARGUMENT', 'expiry must be in the future');
      }
      const minted = mintToken(deps.random);
      const now = deps.clock();
      const binding = {
        orgId: org.id,
        scopes: [...new Set(scopes)],
        expiresAtMs: expiresInMs === undefined ? undefined : now + expiresInMs,
      };
      await deps.tokens.create({
        id: minted.id,
        orgId: binding.orgId,
        name,
        hash: hashToken(deps.pepper, minted.id, minted.secret, binding),
        scopes: binding.scopes,
        createdAtMs: now,
        expiresAtMs: binding.expiresAtMs,
        revokedAtMs: undefined,
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
      }));
    },

    async revokeToken(id) {
      if (!/^[0-9a-f]{16}$/.test(id)) throw new AppError('INVALID_ARGUMENT', 'a token id is 16 hex characters');
      return deps.tokens.revoke(id, deps.clock());
    },
  };
}
