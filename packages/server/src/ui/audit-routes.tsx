import { Hono } from 'hono';
import type { AuditQueryService } from '../audit/audit-query-service';
import { AppError } from '../errors/app-error';
import { callContext } from '../http/app-env';
import { parseUtc } from './format';
import { AuditPage } from './pages/audit-page';
import { sendPage } from './render';
import type { UiEnv } from './ui-env';

/** The audit page: the audit API's service, with the filter in the query string. */
export function auditRoutes(audit: AuditQueryService) {
  return new Hono<UiEnv>().get('/', async (c) => {
    const form = {
      slot: c.req.query('slot') ?? '',
      action: c.req.query('action') ?? '',
      since: c.req.query('since') ?? '',
      until: c.req.query('until') ?? '',
    };
    const pageToken = c.req.query('page') ?? '';
    const since = parseUtc(form.since);
    const until = parseUtc(form.until);
    const props = { session: c.get('session'), form, nextHref: '', firstHref: undefined };
    let entries;
    try {
      if (since === null || until === null)
        throw new AppError('INVALID_ARGUMENT', 'times are YYYY-MM-DDTHH:MM (UTC)');
      entries = await audit.list(callContext(c), {
        slot: form.slot === '' ? undefined : form.slot,
        action: form.action === '' ? undefined : form.action,
        sinceMs: since,
        untilMs: until,
        pageToken,
      });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'INVALID_ARGUMENT') throw err;
      return sendPage(c, <AuditPage {...props} entries={[]} error={err.message} />, 400);
    }
    const params = new URLSearchParams(Object.entries(form).filter(([, v]) => v !== ''));
    const base = `/ui/audit${params.size === 0 ? '' : `?${params.toString()}`}`;
    if (entries.nextPageToken !== '') params.set('page', entries.nextPageToken);
    const nextHref = entries.nextPageToken === '' ? '' : `/ui/audit?${params.toString()}`;
    return sendPage(
      c,
      <AuditPage
        {...props}
        entries={entries.entries}
        nextHref={nextHref}
        firstHref={pageToken === '' ? undefined : base}
      />,
    );
  });
}
