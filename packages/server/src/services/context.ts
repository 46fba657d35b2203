import type { Scope } from '@dodil/shared';
import { AppError } from '../errors/app-error';

/** Who is calling: derived from the bearer token only, never from the request. */
export interface Principal {
  orgId: string;
  orgName: string;
  tokenId: string;
  scopes: ReadonlySet<Scope>;
  /** Slot grant patterns (services/grants.ts); undefined = every slot of the org. */
  grants?: readonly string[] | undefined;
  /** When the token expires (undefined = never); a token it mints may not outlive it. */
  expiresAtMs?: number | undefined;
}

/** Everything a service needs to know about one call, whatever the protocol. */
export interface CallContext {
  principal: Principal;
  requestId: string;
  clientAddress: string;
}

/** Throws PERMISSION_DENIED unless the caller's token carries `scope`. */
export function requireScope(ctx: CallContext, scope: Scope): void {
  if (!ctx.principal.scopes.has(scope)) {
    throw new AppError('PERMISSION_DENIED', `this token lacks the ${scope} scope`);
  }
}
