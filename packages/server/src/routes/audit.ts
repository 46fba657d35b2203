import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditQueryService, AuditView } from '../audit/audit-query-service';
import type { AppEnv } from '../http/app-env';
import { callContext } from '../http/app-env';
import { jsonResponse } from '../http/json-response';
import { validationHook } from '../edge/validation';

const epochMs = z
  .string()
  .regex(/^\d{1,15}$/, 'must be epoch milliseconds')
  .transform(Number)
  .optional();

/** Query of `GET /v1/ignite/audit`. */
export const auditQuerySchema = z.object({
  slot: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  sinceMs: epochMs,
  untilMs: epochMs,
  pageSize: z
    .string()
    .regex(/^\d{1,9}$/, 'pageSize must be a non-negative integer')
    .transform(Number)
    .optional(),
  pageToken: z.string().optional(),
});

const int64 = z.string().regex(/^\d{1,19}$/);

/** The answer of `GET /v1/ignite/audit` (for /openapi.json). */
export const auditResponseSchema = z.object({
  entries: z.array(
    z.object({
      seq: int64,
      timeMs: int64,
      action: z.string(),
      slot: z.string(),
      code: z.string(),
      tokenId: z.string(),
      clientAddress: z.string(),
      requestId: z.string(),
      detail: z.string(),
    }),
  ),
  nextPageToken: z.string(),
});

/** One entry in proto-JSON style (int64 as strings), field by field. */
export function renderAuditEntry(e: AuditView) {
  return {
    seq: String(e.seq),
    timeMs: String(e.timeMs),
    action: e.action,
    slot: e.slot ?? '',
    code: e.code,
    tokenId: e.tokenId ?? '',
    clientAddress: e.clientAddress,
    requestId: e.requestId,
    detail: e.detail ?? '',
  };
}

/** `GET /v1/ignite/audit` (scope ReadAudit): the org's entries, newest first, paged. */
export function auditRoutes(audit: AuditQueryService) {
  return new Hono<AppEnv>().get('/', zValidator('query', auditQuerySchema, validationHook), async (c) => {
    const page = await audit.list(callContext(c), c.req.valid('query'));
    return jsonResponse(
      c,
      { entries: page.entries.map(renderAuditEntry), nextPageToken: page.nextPageToken },
      200,
    );
  });
}
