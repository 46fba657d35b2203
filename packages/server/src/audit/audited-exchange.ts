import { decodeJwt } from 'jose';
import type { Clock } from '../services/clock';
import { ExchangeRefused } from '../services/oidc/exchange-service';
import type { ExchangeService } from '../services/oidc/exchange-service';
import { capText } from './audit-entry';
import type { AuditLog } from './audit-log';
import { auditUnavailable, codeOf } from './audited-secret-service';

// Claims are the issuer's text: kept short, on one line, quoted.
const q = (s: string | undefined) => (s === undefined ? '-' : JSON.stringify(s.slice(0, 200)));

/** The claims a refused JWT states (unverified: recorded as claimed, never trusted). */
function claimed(jwt: string): string {
  try {
    const p = decodeJwt(jwt);
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return ` (claimed iss=${q(text(p.iss))} sub=${q(text(p.sub))} jti=${q(text(p.jti))})`;
  } catch {
    return '';
  }
}

/**
 * Audits every token exchange: on success the minted token's id with the
 * verified `iss`, `sub` and `jti` and the trust; on refusal the reason (our
 * own text, for operators; the caller never sees it). Fail closed: a token is
 * handed out only once its entry is durable. `onRefused` gets the reason for
 * the server log.
 */
export function createAuditedExchange(
  inner: ExchangeService,
  audit: AuditLog,
  clock: Clock,
  onRefused?: (event: { org: string; reason: string; requestId: string }) => void,
): ExchangeService {
  return {
    async exchange(input, call) {
      const base = {
        timeMs: 0,
        requestId: capText(call.requestId, 64) ?? '-',
        action: 'TokenExchange',
        slot: undefined,
        clientAddress: capText(call.clientAddress, 64) ?? '-',
      };
      try {
        const done = await inner.exchange(input, call);
        try {
          await audit.record({
            ...base,
            timeMs: clock(),
            tokenId: done.id,
            orgId: done.orgId,
            org: done.org,
            code: 'OK',
            detail: capText(
              `trust=${q(done.trust)} iss=${q(done.iss)} sub=${q(done.sub)} jti=${q(done.jti)}`,
            ),
          });
        } catch {
          throw auditUnavailable();
        }
        return done;
      } catch (err) {
        if (!(err instanceof ExchangeRefused)) throw err;
        onRefused?.({ org: input.org.slice(0, 64), reason: err.reason, requestId: call.requestId });
        try {
          await audit.record({
            ...base,
            timeMs: clock(),
            tokenId: undefined,
            orgId: err.orgId,
            org: err.orgId === undefined ? undefined : capText(input.org, 64),
            code: codeOf(err),
            detail: capText(`refused${claimed(input.subjectToken)}: ${err.reason}`),
          });
        } catch {
          throw auditUnavailable();
        }
        throw err;
      }
    },
  };
}
