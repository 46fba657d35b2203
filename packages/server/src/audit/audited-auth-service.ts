import { AppError } from '../errors/app-error';
import type { AuthService } from '../services/auth-service';
import type { Clock } from '../services/clock';
import { capText } from './audit-entry';
import type { AuditLog } from './audit-log';
import { auditUnavailable, codeOf } from './audited-secret-service';
import { addressKey } from '../throttle/address-key';
import { createFailureAggregator, withRepeats } from './failure-aggregator';
import type { FailureAggregator } from './failure-aggregator';

// Only the public lookup id of a token is ever recorded, never its secret part.
const TOKEN_ID = /^\s*bearer\s+dodil_([0-9a-f]{16})_/i;

/**
 * Records every failed authentication (who tried which token id from where,
 * and why it was refused) before the refusal is sent. Successful
 * authentications are recorded by the call they authorise. Identical failures
 * (same token id, outcome and address) are aggregated: one entry per window,
 * carrying how many were not logged individually.
 */
export function createAuditedAuthService(
  inner: AuthService,
  audit: AuditLog,
  clock: Clock,
  aggregator: FailureAggregator = createFailureAggregator(clock),
): AuthService {
  return {
    async authenticate(authorization, clientAddress, requestId) {
      try {
        return await inner.authenticate(authorization, clientAddress, requestId);
      } catch (err) {
        const tokenId = authorization === undefined ? undefined : TOKEN_ID.exec(authorization)?.[1];
        const decision = aggregator.admit(`${addressKey(clientAddress)}\0${tokenId ?? '-'}\0${codeOf(err)}`);
        if (!decision.record) throw err;
        try {
          await audit.record({
            timeMs: clock(),
            requestId: capText(requestId, 64) ?? '-',
            tokenId,
            orgId: undefined,
            org: undefined,
            action: 'Authenticate',
            slot: undefined,
            code: codeOf(err),
            clientAddress: capText(clientAddress, 64) ?? '-',
            // Our own refusal text ("unknown token", "token revoked"…): never caller input.
            detail: capText(
              withRepeats(err instanceof AppError ? err.message : undefined, decision.repeated),
            ),
          });
        } catch (auditErr) {
          throw auditUnavailable(auditErr);
        }
        throw err;
      }
    },
  };
}
