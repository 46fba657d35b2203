import type { Clock } from '../services/clock';
import type { TrustService } from '../services/oidc/trust-service';
import { adminEntry } from './audited-admin-service';
import type { AuditLog } from './audit-log';
import { codeOf } from './audited-secret-service';

/** Records the operator's trust changes (create, delete); listing and testing change nothing. */
export function createAuditedTrustService(inner: TrustService, audit: AuditLog, clock: Clock): TrustService {
  async function audited<T>(action: string, org: string, detail: string, run: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      await audit.record(adminEntry(clock, action, { org, code: codeOf(err), detail }));
      throw err;
    }
    await audit.record(adminEntry(clock, action, { org, detail }));
    return result;
  }
  return {
    create: (input) =>
      audited(
        'trust.create',
        input.org,
        `trust ${input.name} issuer ${input.issuer} scopes ${input.scopes.join(',')}`,
        () => inner.create(input),
      ),
    list: (org) => inner.list(org),
    delete: (org, name) => audited('trust.delete', org, `trust ${name}`, () => inner.delete(org, name)),
    test: (org, jwt, trust) => inner.test(org, jwt, trust),
  };
}
