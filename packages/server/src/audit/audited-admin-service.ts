import { randomUUID } from 'node:crypto';
import type { AdminService } from '../services/admin-service';
import type { Clock } from '../services/clock';
import { capText } from './audit-entry';
import type { AuditEntryInput } from './audit-entry';
import type { AuditLog } from './audit-log';
import { codeOf } from './audited-secret-service';

/** An operator action as an audit entry (the actor is the local operator, not a token). */
export function adminEntry(
  clock: Clock,
  action: string,
  fields: {
    org?: string | undefined;
    orgId?: string | undefined;
    detail?: string | undefined;
    code?: string;
    /** `local` (the operator's command line) unless the server acted on its own. */
    clientAddress?: string;
  },
): AuditEntryInput {
  return {
    timeMs: clock(),
    requestId: randomUUID(),
    tokenId: undefined,
    orgId: fields.orgId,
    org: capText(fields.org, 64),
    action,
    slot: undefined,
    code: fields.code ?? 'OK',
    clientAddress: fields.clientAddress ?? 'local',
    detail: capText(fields.detail),
  };
}

/**
 * Records the operator's org and token changes. The admin commands run in
 * their own process; each entry is durable before the command reports success.
 */
export function createAuditedAdminService(inner: AdminService, audit: AuditLog, clock: Clock): AdminService {
  async function audited<T>(
    action: string,
    org: string | undefined,
    run: () => Promise<T>,
    detailOf: (result: T | undefined) => string | undefined,
  ): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (err) {
      await audit.record(adminEntry(clock, action, { org, code: codeOf(err), detail: detailOf(undefined) }));
      throw err;
    }
    await audit.record(adminEntry(clock, action, { org, detail: detailOf(result) }));
    return result;
  }

  return {
    createOrg: (name) =>
      audited(
        'org.create',
        name,
        () => inner.createOrg(name),
        () => undefined,
      ),
    createToken: (input) =>
      audited(
        'token.create',
        input.org,
        () => inner.createToken(input),
        (r) =>
          `${r === undefined ? '' : `token ${r.id} `}scopes ${input.scopes.join(',')}${
            input.slots === undefined ? '' : ` slots ${input.slots.join(',')}`
          }`,
      ),
    listTokens: (org) => inner.listTokens(org),
    revokeToken: (id) =>
      audited(
        'token.revoke',
        undefined,
        () => inner.revokeToken(id),
        (r) => `token ${id}${r === false ? ' (none live)' : ''}`,
      ),
  };
}
