import type { Clock } from '../services/clock';
import type { CallContext } from '../services/context';
import type { TokenService } from '../services/token-service';
import { capText } from './audit-entry';
import type { AuditEntryInput } from './audit-entry';
import type { AuditLog } from './audit-log';
import { auditUnavailable, codeOf } from './audited-secret-service';

function entry(
  ctx: CallContext,
  clock: Clock,
  action: string,
  code: string,
  detail: string | undefined,
): AuditEntryInput {
  return {
    timeMs: clock(),
    requestId: capText(ctx.requestId, 64) ?? '-',
    tokenId: ctx.principal.tokenId,
    orgId: ctx.principal.orgId,
    org: ctx.principal.orgName,
    action,
    slot: undefined,
    code,
    clientAddress: capText(ctx.clientAddress, 64) ?? '-',
    detail: capText(detail),
  };
}

// Only validated shapes reach the detail: caller text of any other shape is not worth keeping.
const listed = (items: readonly string[] | undefined, shape: RegExp) =>
  items === undefined ? '*' : items.filter((s) => shape.test(s)).join(',');

/**
 * Audits every tokens-API call (CreateToken, ListTokens, RevokeToken) with the
 * caller's token id; the minted token's id, scopes and slots, or the revoked
 * subtree, go into the detail. Fail closed like the secret service.
 */
export function createAuditedTokenService(inner: TokenService, audit: AuditLog, clock: Clock): TokenService {
  async function audited<T>(
    ctx: CallContext,
    action: string,
    run: () => Promise<T>,
    detailOf: (result: T | undefined) => string | undefined,
  ): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      try {
        await audit.record(entry(ctx, clock, action, codeOf(err), detailOf(undefined)));
      } catch {
        throw auditUnavailable();
      }
      throw err;
    }
    try {
      await audit.record(entry(ctx, clock, action, 'OK', detailOf(result)));
    } catch {
      throw auditUnavailable();
    }
    return result;
  }

  return {
    create: (ctx, input) =>
      audited(
        ctx,
        'CreateToken',
        () => inner.create(ctx, input),
        (r) =>
          `${r === undefined ? '' : `token ${r.id} `}scopes ${listed(input.scopes, /^[A-Za-z]{1,32}$/)} slots ${listed(
            input.slots,
            /^[A-Za-z0-9_*-]{1,65}$/,
          )}`,
      ),
    list: (ctx) =>
      audited(
        ctx,
        'ListTokens',
        () => inner.list(ctx),
        () => undefined,
      ),
    revoke: (ctx, id) =>
      audited(
        ctx,
        'RevokeToken',
        () => inner.revoke(ctx, id),
        (r) =>
          `token ${/^[0-9a-f]{16}$/.test(id) ? id : '(invalid)'}${r === undefined ? '' : ` revoked ${r.revoked.length}`}`,
      ),
  };
}
