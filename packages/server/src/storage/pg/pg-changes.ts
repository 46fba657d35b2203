import pg from 'pg';
import type { PgQueryable } from './pg-database';

/** The NOTIFY channel of cache-coherence events. */
export const CHANGES_CHANNEL = 'dodil_changes';

/** What changed: caches keyed by these kinds drop what they hold. */
export type ChangeKind = 'token' | 'org-key' | 'master-key' | 'all';

/**
 * Publishes a change inside the writer's transaction: the counter moves and the NOTIFY is sent
 * only if (and when) that transaction commits, so no replica sees a change that rolled back.
 */
export async function publishChange(tx: PgQueryable, kind: Exclude<ChangeKind, 'all'>): Promise<void> {
  const rows = await tx.rows<{ seq: number }>(
    'change_bump',
    'UPDATE change_counter SET seq = seq + 1 WHERE id RETURNING seq',
  );
  await tx.exec('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, `${kind}:${rows[0]?.seq ?? 0}`]);
}

/** Options of {@link watchChanges}. */
export interface WatchChangesOptions {
  url: string;
  /** Called for every change seen; `all` after a reconnect or when the poll finds a change missed. */
  onChange: (kind: ChangeKind) => void;
  /** The fallback poll of the counter (default 500 ms: a lost notification costs at most that). */
  pollMs?: number;
  /** Reads the counter through the pool (the caller's database). */
  readCounter: () => Promise<number>;
}

/** A running watcher; {@link ChangeWatcher.close} stops it. */
export interface ChangeWatcher {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection (NOTIFY needs a session of its own, outside the pool) and
 * polls the counter as a bounded fallback. On every (re)connect it reports `all`: notifications
 * sent while it was away are lost, so caches flush. Reconnects with backoff (200 ms doubling to
 * 5 s). Never throws: a watcher that can't connect just keeps trying while the poll covers.
 */
export function watchChanges(options: WatchChangesOptions): ChangeWatcher {
  const pollMs = options.pollMs ?? 500;
  let closed = false;
  let client: pg.Client | undefined;
  let backoffMs = 200;
  let seen = -1;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const note = (seq: number) => {
    if (seq > seen) seen = seq;
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const c = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: 3000,
      keepAlive: true,
      application_name: 'dodil-server-listen',
    });
    c.on('error', () => scheduleReconnect(c));
    c.on('end', () => scheduleReconnect(c));
    c.on('notification', (msg) => {
      if (msg.channel !== CHANGES_CHANNEL || msg.payload === undefined) return;
      const [kind, seq] = msg.payload.split(':');
      note(Number(seq));
      if (kind === 'token' || kind === 'org-key' || kind === 'master-key') options.onChange(kind);
      else options.onChange('all');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      backoffMs = 200;
      options.onChange('all');
    } catch {
      scheduleReconnect(c);
    }
  }

  function scheduleReconnect(c: pg.Client): void {
    if (client === c) client = undefined;
    c.removeAllListeners('end');
    c.removeAllListeners('notification');
    // An 'error' listener stays so a late socket error on the dead client can't crash the process.
    void c.end().catch(() => undefined);
    if (closed || reconnectTimer !== undefined) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, backoffMs);
    reconnectTimer.unref();
    backoffMs = Math.min(backoffMs * 2, 5000);
  }

  let polling = false;
  const poll = setInterval(() => {
    if (polling || closed) return;
    polling = true;
    options
      .readCounter()
      .then((seq) => {
        // A counter ahead of every notification seen: one was lost (or the listener is down).
        if (seen >= 0 && seq > seen) options.onChange('all');
        note(seq);
      })
      .catch(() => undefined) // the request path reports the outage; the poll just tries again
      .finally(() => {
        polling = false;
      });
  }, pollMs);
  poll.unref();

  void connect();
  return {
    async close() {
      closed = true;
      clearInterval(poll);
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
      const c = client;
      client = undefined;
      if (c !== undefined) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}

/** Reads the change counter (for {@link WatchChangesOptions.readCounter}). */
export async function readChangeCounter(db: PgQueryable): Promise<number> {
  const rows = await db.rows<{ seq: number }>('change_read', 'SELECT seq FROM change_counter WHERE id');
  return rows[0]?.seq ?? 0;
}
