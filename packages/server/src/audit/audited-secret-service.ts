import { isSlotName, normaliseRegistryHost } from '@dodil/shared';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import type { CallContext } from '../services/context';
import type {
  Receipted,
  SecretCore,
  SecretService,
  SlotWrite,
  WriteReceipt,
} from '../services/secret-service';
import type { Tx } from '../storage/types';
import { capText } from './audit-entry';
import type { AuditEntryInput } from './audit-entry';
import { AuditUnavailableError } from './audit-log';
import type { AuditLog } from './audit-log';
import { createFailureAggregator, withRepeats } from './failure-aggregator';
import type { FailureAggregator } from './failure-aggregator';
import { addressKey } from '../throttle/address-key';

/** The refusal when an audit entry can't be made durable: nothing is returned or written. */
// Retry-After 1: the usual cause (the database unreachable or failing over) passes within seconds;
// a disk below the audit floor says its own (60 s).
export const auditUnavailable = (cause?: unknown) =>
  new AppError(
    'UNAVAILABLE',
    'the audit log cannot be written, so the request was refused; nothing was changed',
    cause instanceof AuditUnavailableError && cause.retryAfterSeconds !== undefined
      ? cause.retryAfterSeconds
      : 1,
  );

/** The audit code of an outcome: `OK` or the gRPC code name (unexpected errors are INTERNAL). */
export const codeOf = (err: unknown): string => (err instanceof AppError ? err.code : 'INTERNAL');

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

/**
 * The audit part of a slot write's in-transaction effect: appends the call's
 * entry inside the write's own transaction (a write and its entry commit or
 * vanish together) and hands back its receipt.
 */
export function createSlotWriteAudit(
  audit: Pick<AuditLog, 'appendInTransaction'>,
  clock: Clock,
): (tx: Tx, ctx: CallContext, write: SlotWrite) => Promise<WriteReceipt> {
  return async (tx, ctx, write) => {
    const { seq } = await audit.appendInTransaction(tx, entryOf(ctx, clock, write.action, write.name));
    return { auditSeq: seq };
  };
}

/**
 * Audits every SecretService call (REST, gRPC and Connect all come through
 * here). Fail closed: a value is returned, and an error reported, only after
 * the call's entry is durable; when it can't be written the caller gets
 * UNAVAILABLE instead. Reads share one commit per event-loop turn (group
 * commit); writes carry their entry in their own transaction and bring back
 * its receipt. Repeated identical failures (same token, call, slot, outcome
 * and address) are aggregated into one entry per window, so a looping client
 * can't fill the disk.
 */
export function createAuditedSecretService(
  inner: SecretCore,
  audit: Pick<AuditLog, 'record'>,
  clock: Clock,
  aggregator: FailureAggregator = createFailureAggregator(clock),
): SecretService {
  async function durably(entry: AuditEntryInput): Promise<void> {
    if (typeof __DODIL_BENCH_NO_AUDIT__ === 'boolean' && __DODIL_BENCH_NO_AUDIT__) return;
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
    run: () => Promise<Receipted<T>>,
    describe?: (result: T) => Partial<AuditEntryInput>,
  ): Promise<T> {
    let out: Receipted<T>;
    try {
      out = await run();
    } catch (err) {
      // The write's own entry could not be appended, so the write rolled back with it.
      if (err instanceof AuditUnavailableError) throw auditUnavailable(err);
      const entry = { ...entryOf(ctx, clock, action, slot), code: codeOf(err) };
      const key = [
        ctx.principal.tokenId,
        action,
        entry.slot ?? '-',
        entry.code,
        addressKey(ctx.clientAddress),
      ].join('\0');
      const decision = aggregator.admit(key);
      if (decision.record)
        await durably({ ...entry, detail: capText(withRepeats(entry.detail, decision.repeated)) });
      throw err;
    }
    // A receipt means the entry committed with the write; a second one would double it.
    if (out.receipt === undefined)
      await durably({ ...entryOf(ctx, clock, action, slot), ...describe?.(out.value) });
    return out.value;
  }

  const read = async <T>(value: Promise<T>): Promise<Receipted<T>> => ({
    value: await value,
    receipt: undefined,
  });

  return {
    create: (ctx, input) => audited(ctx, 'CreateSecret', input.name, () => inner.create(ctx, input)),
    get: (ctx, name) => audited(ctx, 'GetSecret', name, () => read(inner.get(ctx, name))),
    list: (ctx, input) => audited(ctx, 'ListSecrets', undefined, () => read(inner.list(ctx, input))),
    delete: (ctx, name) => audited(ctx, 'DeleteSecret', name, () => inner.delete(ctx, name)),
    findRegistry: (ctx, host) =>
      audited(
        ctx,
        'FindRegistrySecrets',
        undefined,
        () => read(inner.findRegistry(ctx, host)),
        // Which values left the server: the names of every slot returned, never cut short.
        (found) => ({
          slot: found.length === 0 ? undefined : found.map((s) => s.metadata.name).join(','),
          // The normalised key only: the raw string may carry a path or query the caller typed.
          detail: `host=${host === undefined ? '*' : (normaliseRegistryHost(host) ?? '(invalid)')}`,
        }),
      ),
  };
}
