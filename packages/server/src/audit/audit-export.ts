import type { AuditLog } from './audit-log';
import { auditEntryJson } from './audit-json';

/** What {@link exportAudit} needs. */
export interface ExportOptions {
  /** Only entries after this seq (0: from the start). */
  since: number;
  /** Keep printing new entries until `signal` aborts. */
  follow: boolean;
  signal: AbortSignal;
  write: (text: string) => void;
  /** Operator notes (stderr), e.g. that the entries asked for were pruned. */
  warn: (text: string) => void;
  /** How often `follow` looks for new entries (default 200 ms). */
  pollMs?: number;
}

const PAGE = 1000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `audit export`: NDJSON, one entry per line with its `seq` and `mac`, in
 * chain order, only entries after `since`. It reads the store directly (never
 * through the server), so a shipper resumes from the last `seq` it stored
 * across server restarts. Returns the last seq printed (or `since`).
 */
export async function exportAudit(
  log: Pick<AuditLog, 'readAfter' | 'checkpoint'>,
  o: ExportOptions,
): Promise<number> {
  let last = o.since;
  const pruned = (await log.checkpoint())?.count ?? 0;
  if (pruned > last) {
    o.warn(`entries ${last + 1}..${pruned} were pruned; exporting from entry ${pruned + 1}\n`);
  }
  for (;;) {
    const page = await log.readAfter(last, PAGE);
    if (page.length > 0) {
      o.write(page.map((e) => `${JSON.stringify(auditEntryJson(e))}\n`).join(''));
      last = page.at(-1)?.seq ?? last;
    }
    if (page.length === PAGE) continue;
    if (!o.follow || o.signal.aborted) return last;
    await sleep(o.pollMs ?? 200, o.signal);
    if (o.signal.aborted) return last;
  }
}
