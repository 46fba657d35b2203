import type { AuditEntryInput } from '../audit/audit-entry';
import { capText } from '../audit/audit-entry';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../services/clock';
import type { CallContext } from '../services/context';

/** Console events that are not service calls (those audit themselves). */
export type ConsoleEvent = 'ConsoleSignIn' | 'ConsoleSignOut';

/** Records a console event durably; rejects when the audit log can't take it. */
export type RecordConsoleEvent = (ctx: CallContext, event: ConsoleEvent) => Promise<void>;

/** {@link RecordConsoleEvent} over the audit log. */
export function consoleEventRecorder(audit: Pick<AuditLog, 'record'>, clock: Clock): RecordConsoleEvent {
  return (ctx, event) => {
    const entry: AuditEntryInput = {
      timeMs: clock(),
      requestId: capText(ctx.requestId, 64) ?? '-',
      tokenId: ctx.principal.tokenId,
      orgId: ctx.principal.orgId,
      org: ctx.principal.orgName,
      action: event,
      slot: undefined,
      code: 'OK',
      clientAddress: capText(ctx.clientAddress, 64) ?? '-',
      detail: undefined,
    };
    return audit.record(entry);
  };
}
