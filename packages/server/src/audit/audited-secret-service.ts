import { isSlotName, normaliseRegistryHost } from '@dodil/shared';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { CallContext } from '../services/context';
import type { SecretService, SlotWrite } from '../services/secret-service';
import { capText } from './audit-entry';
import type { AuditEntryInput } from './audit-entry';
import { AuditUnavailableError } from './audit-log';
import type { AuditLog } from './audit-log';
import { createFailureAggregator, withRepeats } from './failure-aggregator';
import type { FailureAggregator } from './failure-aggregator';
import { addressKey } from '../throttle/address-key';

/** The refusal when an audit entry can't be made durable: nothing is returned or written. */
export const auditUnavailable = (cause?: unknown) =>
  new AppError(
    'UNAVAILABLE',
    'the audit log cannot be written, so the request was refused; nothing was changed',
    cause instanceof AuditUnavailableError ? cause.retryAfterSeconds : undefined,
  );

/** The audit code of an outcome: `OK` or the gRPC code name (unexpected errors are INTERNAL). */
export const codeOf = (err: unknown): string => (err instanceof AppError ? err.code : 'INTERNAL');

/**
 * Audit entries of slot writes, appended inside the write's own transaction
 * (so a write and its entry commit or vanish together). The decorator learns
 * through the per-call context object whether that happened.
 */
export interface SlotWriteAudit {
  /** For `SecretServiceDeps.inWriteTransaction`. */
  inWriteTransaction(ctx: CallContext, write: SlotWrite): void;
  /** Whether the call's entry already committed with its write. */
  wasWritten(ctx: CallContext): boolean;
  /** Whether appending the call's entry failed (its write was rolled back). */
  failed(ctx: CallContext): boolean;
}

function entryOf(ctx: CallContext, clock: Clock, action: string, slot: string | undefined): AuditEntryInput {
  const valid = slot === undefined || isSlotName(slot);
  return {
    timeMs: clock(),
    requestId: capText(ctx.requestId, 64) ?? '-',
    tokenId: ctx.principal.tokenId,
    orgId: ctx.principal.orgId,
    org: ctx.principal.orgName,
    action,
    // A name that breaks the rule is caller text of any shape; its shape is not worth keeping.
    slot: valid ? slot : undefined,
    code: 'OK',
    clientAddress: capText(ctx.clientAddress, 64) ?? '-',
    detail: valid ? undefined : 'invalid slot name',
  };
}

/** Creates the {@link SlotWriteAudit} over a log. */
export function createSlotWriteAudit(audit: AuditLog, clock: Clock): SlotWriteAudit {
  const written = new WeakSet<CallContext>();
  const failed = new WeakSet<CallContext>();
  return {
    inWriteTransaction(ctx, write) {
      try {
        audit.appendInTransaction(entryOf(ctx, clock, write.action, write.name));
      } catch (err) {
        failed.add(ctx);
        throw err;
      }
      written.add(ctx);
    },
    wasWritten: (ctx) => written.has(ctx),
    failed: (ctx) => failed.has(ctx),
  };
}

/**
 * Audits every SecretService call (REST, gRPC and Connect all come through
 * here). Fail closed: a value is returned, and an error reported, only after
 * the call's entry is durable; when it can't be written the caller gets
 * UNAVAILABLE instead. Reads share one commit per event-loop turn (group
 * commit); writes carry their entry in their own transaction. Repeated
 * identical failures (same token, call, slot, outcome and address) are
 * aggregated into one entry per window, so a looping client can't fill the disk.
 */
export function createAuditedSecretService(
  inner: SecretService,
  audit: AuditLog,
  writes: SlotWriteAudit,
  clock: Clock,
  aggregator: FailureAggregator = createFailureAggregator(clock),
): SecretService {
  async function durably(entry: AuditEntryInput): Promise<void> {
    try {
      await audit.record(entry);
    } catch (err) {
      throw auditUnavailable(err);
    }
  }

  async function audited<T>(
    ctx: CallContext,
    action: string,
    slot: string | undefined,
    run: (call: CallContext) => Promise<T>,
    describe?: (result: T) => Partial<AuditEntryInput>,
  ): Promise<T> {
    // A fresh object per call: the identity the in-transaction hook marks.
    const call: CallContext = { ...ctx };
    let result: T;
    try {
      result = await run(call);
    } catch (err) {
      if (writes.failed(call)) throw auditUnavailable(err);
      if (!writes.wasWritten(call)) {
        const entry = { ...entryOf(ctx, clock, action, slot), code: codeOf(err) };
        const key = [ctx.principal.tokenId, action, entry.slot ?? '-', entry.code, addressKey(ctx.clientAddress)].join('\0');
        const decision = aggregator.admit(key);
        if (decision.record) await durably({ ...entry, detail: capText(withRepeats(entry.detail, decision.repeated)) });
      }
      throw err;
    }
    if (!writes.wasWritten(call)) await durably({ ...entryOf(ctx, clock, action, slot), ...describe?.(result) });
    return result;
  }

  return {
    create: (ctx, input) => audited(ctx, 'CreateSecret', input.name, (c) => inner.create(c, input)),
    get: (ctx, name) => audited(ctx, 'GetSecret', name, (c) => inner.get(c, name)),
    list: (ctx, input) => audited(ctx, 'ListSecrets', undefined, (c) => inner.list(c, input)),
    delete: (ctx, name) => audited(ctx, 'DeleteSecret', name, (c) => inner.delete(c, name)),
    findRegistry: (ctx, host) =>
      audited(
        ctx,
        'FindRegistrySecrets',
        undefined,
        (c) => inner.findRegistry(c, host),
        // Which values left the server: the names of every slot returned, never cut short.
        (found) => ({
          slot: found.length === 0 ? undefined : found.map((s) => s.metadata.name).join(','),
          // The normalised key only: the raw string may carry a path or query the caller typed.
          detail: `host=${host === undefined ? '*' : (normaliseRegistryHost(host) ?? '(invalid)')}`,
        }),
      ),
  };
}
