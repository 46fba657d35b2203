import { isSlotName } from '@dodil/shared';
import { AppError } from '../errors/app-error';
import type { Clock } from '../services/clock';
import { requireScope } from '../services/context';
import type { CallContext } from '../services/context';
import { canSeeSlotField } from '../services/slot-access';
import type { AuditQuery } from '../storage/audit-store';
import type { AuditEntry, AuditEntryInput } from './audit-entry';
import { capText } from './audit-entry';
import type { AuditLog } from './audit-log';
import { auditUnavailable, codeOf } from './audited-secret-service';

/** An audit entry as the org sees it (no MAC, no org id). */
export interface AuditView {
  seq: number;
  timeMs: number;
  requestId: string;
  tokenId: string | undefined;
  action: string;
  slot: string | undefined;
  code: string;
  clientAddress: string;
  detail: string | undefined;
}

/** Filters of `GET /v1/ignite/audit`. */
export interface AuditFilter {
  slot?: string | undefined;
  action?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

/** A page of entries, newest first. */
export interface AuditPage {
  entries: AuditView[];
  nextPageToken: string;
}

/** Reads the caller's org's audit entries (scope ReadAudit). */
export interface AuditQueryService {
  list(ctx: CallContext, filter: AuditFilter): Promise<AuditPage>;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
/** Rows examined per page at most when grants hide entries, so a page request is bounded. */
const MAX_SCAN = 10_000;
const PREFIX = 'a1:';
const ACTION = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

function encodeToken(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`, 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): number | undefined {
  if (token === undefined || token === '') return undefined;
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const seq = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new AppError('INVALID_ARGUMENT', 'invalid pageToken');
  return seq;
}

const view = (e: AuditEntry): AuditView => ({
  seq: e.seq,
  timeMs: e.timeMs,
  requestId: e.requestId,
  tokenId: e.tokenId,
  action: e.action,
  slot: e.slot,
  code: e.code,
  clientAddress: e.clientAddress,
  detail: e.detail,
});

/**
 * Creates the {@link AuditQueryService}. Reading the log is itself audited
 * (action `ReadAudit`), durably before the page is returned, like every read.
 */
export function createAuditQueryService(
  audit: Pick<AuditLog, 'query' | 'record'>,
  clock: Clock,
  /** Which entries a caller may see (slot grants); injectable so paging under grants is testable. */
  canSee: typeof canSeeSlotField = canSeeSlotField,
): AuditQueryService {
  async function run(ctx: CallContext, filter: AuditFilter): Promise<AuditPage> {
    requireScope(ctx, 'ReadAudit');
    if (filter.slot !== undefined && !isSlotName(filter.slot)) {
      throw new AppError('INVALID_ARGUMENT', 'slot must be a slot name');
    }
    if (filter.action !== undefined && !ACTION.test(filter.action)) {
      throw new AppError('INVALID_ARGUMENT', 'action must be an action name such as GetSecret');
    }
    const size =
      filter.pageSize === undefined || filter.pageSize <= 0
        ? DEFAULT_PAGE
        : Math.min(filter.pageSize, MAX_PAGE);
    const base: Omit<AuditQuery, 'beforeSeq' | 'limit'> = {
      orgId: ctx.principal.orgId,
      slot: filter.slot,
      action: filter.action,
      sinceMs: filter.sinceMs,
      untilMs: filter.untilMs,
    };
    let before = decodeToken(filter.pageToken);
    const entries: AuditView[] = [];
    let scanned = 0;
    // Grants are applied after the query, so batches are read until the page is full (bounded).
    for (;;) {
      const batch = await audit.query({ ...base, beforeSeq: before, limit: size + 1 });
      for (const e of batch) {
        scanned++;
        before = e.seq;
        if (!canSee(ctx.principal, e.slot)) continue;
        if (entries.length === size) {
          // One more visible entry exists: resume right after the last one served.
          const last = entries.at(-1);
          return { entries, nextPageToken: last === undefined ? '' : encodeToken(last.seq) };
        }
        entries.push(view(e));
      }
      if (batch.length <= size) return { entries, nextPageToken: '' };
      if (scanned >= MAX_SCAN)
        return { entries, nextPageToken: before === undefined ? '' : encodeToken(before) };
    }
  }

  return {
    async list(ctx, filter) {
      let page: AuditPage;
      const entry = (code: string): AuditEntryInput => ({
        timeMs: clock(),
        requestId: capText(ctx.requestId, 64) ?? '-',
        tokenId: ctx.principal.tokenId,
        orgId: ctx.principal.orgId,
        org: ctx.principal.orgName,
        action: 'ReadAudit',
        // Not the filtered slot: reading the log is not an action on that slot.
        slot: undefined,
        code,
        clientAddress: capText(ctx.clientAddress, 64) ?? '-',
        detail: undefined,
      });
      try {
        page = await run(ctx, filter);
      } catch (err) {
        await audit.record(entry(codeOf(err))).catch(() => {
          throw auditUnavailable();
        });
        throw err;
      }
      await audit.record(entry('OK')).catch(() => {
        throw auditUnavailable();
      });
      return page;
    },
  };
}
