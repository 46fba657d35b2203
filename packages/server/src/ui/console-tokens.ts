import { isScope } from '@dodil/shared';
import type { AnyScope } from '@dodil/shared';
import { AppError } from '../errors/app-error';
import type { AdminService } from '../services/admin-service';
import { requireScope } from '../services/context';
import type { CallContext } from '../services/context';

/** A token as the tokens page lists it (never the token itself). */
export interface ConsoleTokenInfo {
  id: string;
  name: string;
  scopes: readonly string[];
  /** Slot grants; empty means every slot of the org. */
  slots: readonly string[];
  createdAtMs: number;
  expiresAtMs: number | undefined;
  revokedAtMs: number | undefined;
}

/** What the console asks of the tokens service (SPEC §8 `POST/GET/DELETE /v1/ignite/tokens`). */
export interface ConsoleTokens {
  list(ctx: CallContext): Promise<ConsoleTokenInfo[]>;
  create(
    ctx: CallContext,
    input: { name: string; scopes: readonly string[]; slots: readonly string[]; expiresInSeconds: number | undefined },
  ): Promise<{ id: string; token: string; expiresAtMs: number | undefined }>;
  revoke(ctx: CallContext, id: string): Promise<void>;
}

/**
 * Interim binding of {@link ConsoleTokens} to the operator's AdminService, until the tokens
 * service of issue 12 lands (then bind to it: its rules are the API's). Enforced here meanwhile:
 * ManageTokens, the caller's org only, scopes and expiry never broader than the caller's own;
 * slot grants are refused because the admin service cannot store them (never silently widened).
 */
export function consoleTokensFromAdmin(admin: AdminService): ConsoleTokens {
  async function own(ctx: CallContext) {
    requireScope(ctx, 'ManageTokens');
    return admin.listTokens(ctx.principal.orgName);
  }
  return {
    async list(ctx) {
      const tokens = await own(ctx);
      return tokens.map((t) => ({
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        slots: [],
        createdAtMs: t.createdAtMs,
        expiresAtMs: t.expiresAtMs,
        revokedAtMs: t.revokedAtMs,
      }));
    },
    async create(ctx, input) {
      const tokens = await own(ctx);
      const broader = input.scopes.filter((s) => !isScope(s) || !ctx.principal.scopes.has(s as AnyScope));
      if (broader.length > 0) {
        throw new AppError('PERMISSION_DENIED', `a new token cannot have scopes this token lacks: ${broader.join(',')}`);
      }
      if (input.slots.length > 0) {
        throw new AppError('FAILED_PRECONDITION', 'slot grants need the tokens service, which this server does not have yet');
      }
      const mine = tokens.find((t) => t.id === ctx.principal.tokenId)?.expiresAtMs;
      const expiresInMs = input.expiresInSeconds === undefined ? undefined : input.expiresInSeconds * 1000;
      if (mine !== undefined && (expiresInMs === undefined || Date.now() + expiresInMs > mine)) {
        throw new AppError('PERMISSION_DENIED', 'a new token cannot outlive this token');
      }
      const created = await admin.createToken({
        org: ctx.principal.orgName,
        scopes: input.scopes,
        name: input.name,
        ...(expiresInMs === undefined ? {} : { expiresInMs }),
      });
      const info = (await admin.listTokens(ctx.principal.orgName)).find((t) => t.id === created.id);
      return { id: created.id, token: created.token, expiresAtMs: info?.expiresAtMs };
    },
    async revoke(ctx, id) {
      const tokens = await own(ctx);
      // Another org's token is indistinguishable from a missing one.
      if (!tokens.some((t) => t.id === id)) throw new AppError('NOT_FOUND', `token ${id} not found`);
      await admin.revokeToken(id);
    },
  };
}
