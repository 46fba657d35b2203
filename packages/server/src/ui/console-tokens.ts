import type { CallContext } from '../services/context';
import type { TokenService } from '../services/token-service';

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

/** What the console asks of the tokens service (docs/contract.md#least-privilege `POST/GET/DELETE /v1/ignite/tokens`). */
export interface ConsoleTokens {
  list(ctx: CallContext): Promise<ConsoleTokenInfo[]>;
  create(
    ctx: CallContext,
    input: {
      name: string;
      scopes: readonly string[];
      slots: readonly string[];
      expiresInSeconds: number | undefined;
    },
  ): Promise<{ id: string; token: string; expiresAtMs: number | undefined }>;
  revoke(ctx: CallContext, id: string): Promise<void>;
}

/**
 * {@link ConsoleTokens} over the tokens API's own (audited) service: the same rules as
 * `/v1/ignite/tokens` (ManageTokens; never broader than the caller; only the caller's
 * descendants are listed and revocable).
 */
export function consoleTokensFrom(tokens: TokenService): ConsoleTokens {
  return {
    async list(ctx) {
      return (await tokens.list(ctx)).map((t) => ({
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        slots: t.grants ?? [],
        createdAtMs: t.createdAtMs,
        expiresAtMs: t.expiresAtMs,
        revokedAtMs: t.revokedAtMs,
      }));
    },
    create(ctx, input) {
      return tokens.create(ctx, {
        name: input.name,
        scopes: input.scopes,
        // Empty: inherit the caller's grants (a token without grants mints one without).
        ...(input.slots.length === 0 ? {} : { slots: input.slots }),
        ...(input.expiresInSeconds === undefined ? {} : { expiresInSeconds: input.expiresInSeconds }),
      });
    },
    async revoke(ctx, id) {
      await tokens.revoke(ctx, id);
    },
  };
}
