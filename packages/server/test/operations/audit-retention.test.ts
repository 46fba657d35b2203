import { describe, expect, test } from 'vitest';
import { exportAudit } from '../../src/audit/audit-export';
import { AuditBrokenError } from '../../src/audit/audit-log';
import { pruneAuditThrough, startAuditRetention } from '../../src/audit/audit-retention';
import { currentEngine } from '../support/engine';
import { gitValue, makeHarness } from '../support/harness';

type Harness = Awaited<ReturnType<typeof makeHarness>>;

async function withEntries(n: number): Promise<Harness & { bearer: string }> {
  const h = await makeHarness();
  const token = await h.token();
  for (let i = 0; i < n; i++) {
    const res = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: `s${i % 5}`, value: gitValue() },
    });
    expect(res.status).toBe(200);
  }
  return { ...h, bearer: token };
}

async function exported(h: Harness, since: number): Promise<Record<string, unknown>[]> {
  let out = '';
  await exportAudit(h.runtime.audit, {
    since,
    follow: false,
    signal: new AbortController().signal,
    write: (t) => (out += t),
    warn: () => {},
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Plain SQL through exec, so the suite runs on both engines (support/engine.ts).
const sql = (h: Harness, text: string) => h.runtime.db.exec(text);

describe('audit export (docs/contract.md#operating-it)', () => {
  test('NDJSON in chain order with seq and mac, only entries after --since', async () => {
    const h = await withEntries(30);
    const all = await exported(h, 0);
    const verified = await h.runtime.audit.verify();
    expect(verified.ok && verified.count).toBe(all.length);
    all.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.mac).toMatch(/^[0-9a-f]{64}$/);
    });
    expect(JSON.stringify(all)).not.toContain('ghp_testtoken');
    const tail = await exported(h, 20);
    expect(tail.map((e) => e.seq)).toEqual(all.slice(20).map((e) => e.seq));
    expect(await exported(h, all.length)).toEqual([]);
  });

  test('--follow prints new entries promptly, without loss or repeat', async () => {
    const h = await withEntries(3);
    const stop = new AbortController();
    const seen: { seq: number; at: number }[] = [];
    const following = exportAudit(h.runtime.audit, {
      since: 0,
      follow: true,
      signal: stop.signal,
      pollMs: 100,
      write: (t) => {
        for (const line of t.split('\n').filter((l) => l !== ''))
          seen.push({ seq: (JSON.parse(line) as { seq: number }).seq, at: performance.now() });
      },
      warn: () => {},
    });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = await h.runtime.audit.verify();
      const expectSeq = (before.ok ? before.count : 0) + 1;
      const done = performance.now();
      await h.call('GET', '/v1/ignite/secrets/s0', { token: h.bearer });
      for (let j = 0; j < 100 && !seen.some((s) => s.seq === expectSeq); j++)
        await new Promise((r) => setTimeout(r, 20));
      const line = seen.find((s) => s.seq === expectSeq);
      expect(line).toBeDefined();
      delays.push((line?.at ?? Infinity) - done);
    }
    stop.abort();
    await following;
    expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));
    // Poll interval 100 ms; the bound is generous for a loaded machine.
    expect(Math.max(...delays)).toBeLessThan(3000);
    console.info(`audit export --follow delay (ms): ${delays.map((d) => d.toFixed(0)).join(', ')}`);
  });
});

describe('audit prune and its checkpoint (docs/contract.md#operating-it)', () => {
  test('prune by seq keeps a checkpoint; verify checks what remains and says from where', async () => {
    const h = await withEntries(40);
    const total = (await exported(h, 0)).length;
    const r = await pruneAuditThrough(h.runtime.audit, 24, { batch: 7 });
    expect(r.pruned).toBe(24);
    expect(r.checkpoint?.count).toBe(24);
    const v = await h.runtime.audit.verify();
    expect(v).toMatchObject({ ok: true, from: 25, count: total });
    expect((await exported(h, 0))[0]?.seq).toBe(25);
    // Never the newest entry, however far asked.
    await pruneAuditThrough(h.runtime.audit, Number.MAX_SAFE_INTEGER);
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: true, from: total, count: total });
    // And the log still takes appends.
    expect((await h.call('GET', '/v1/ignite/secrets/s1', { token: h.bearer })).status).toBe(200);
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: true, from: total });
  });

  test('an edit after the checkpoint is caught by verify', async () => {
    const h = await withEntries(20);
    await pruneAuditThrough(h.runtime.audit, 10);
    sql(h, "UPDATE audit_log SET slot = 'other' WHERE seq = 15");
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: false, firstBroken: 15, verified: 4 });
  });

  test('an edit before the checkpoint is caught: prune refuses to launder it and deletes nothing', async () => {
    const h = await withEntries(20);
    sql(h, "UPDATE audit_log SET code = 'OK', action = 'nothing' WHERE seq = 6");
    await expect(pruneAuditThrough(h.runtime.audit, 10, { batch: 3 })).rejects.toThrow(AuditBrokenError);
    // The batch before the edit went; the edited entry and everything after it are still there.
    const first = (await exported(h, 0))[0]?.seq as number;
    expect(first).toBeLessThanOrEqual(6);
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: false, firstBroken: 6 });
  });

  test('a forged, removed, replayed or head-copied checkpoint is caught', async () => {
    const h = await withEntries(30);
    await pruneAuditThrough(h.runtime.audit, 5);
    sql(h, "INSERT INTO meta (key, value) SELECT 'cp_older', value FROM meta WHERE key = 'audit_checkpoint'");
    await pruneAuditThrough(h.runtime.audit, 12);
    sql(
      h,
      "INSERT INTO meta (key, value) SELECT 'cp_current', value FROM meta WHERE key = 'audit_checkpoint'",
    );
    const setFrom = (key: string) =>
      sql(
        h,
        `UPDATE meta SET value = (SELECT value FROM meta WHERE key = '${key}') WHERE key = 'audit_checkpoint'`,
      );

    // Move it forward by 3 (would hide entries 13..15): the seq is the first 8 bytes, big-endian.
    sql(
      h,
      currentEngine() === 'postgres'
        ? "UPDATE meta SET value = '\\x000000000000000f'::bytea || substring(value from 9) WHERE key = 'audit_checkpoint'"
        : "UPDATE meta SET value = x'000000000000000f' || substr(value, 9) WHERE key = 'audit_checkpoint'",
    );
    expect(await h.runtime.audit.verify()).toMatchObject({
      ok: false,
      reason: 'the prune checkpoint is forged or corrupt',
    });

    setFrom('cp_older'); // replay the older one: entries 6..12 are gone
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: false, firstBroken: 6 });

    setFrom('audit_head'); // a head is not a checkpoint (else deleting the whole log would verify)
    expect(await h.runtime.audit.verify()).toMatchObject({
      ok: false,
      reason: 'the prune checkpoint is forged or corrupt',
    });

    sql(h, "DELETE FROM meta WHERE key = 'audit_checkpoint'");
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: false, firstBroken: 1 });

    sql(
      h,
      "INSERT INTO meta (key, value) SELECT 'audit_checkpoint', value FROM meta WHERE key = 'cp_current'",
    );
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: true, from: 13 });
  });

  test('prune under write load: every request is served and verify is green afterwards', async () => {
    const h = await withEntries(600);
    let served = 0;
    let failed = 0;
    let pruning = true;
    const load = (async () => {
      while (pruning) {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            h.call('GET', `/v1/ignite/secrets/s${i % 5}`, { token: h.bearer }),
          ),
        );
        for (const r of results)
          if (r.status === 200) served++;
          else failed++;
      }
    })();
    const r = await pruneAuditThrough(h.runtime.audit, 550, { batch: 50 });
    pruning = false;
    await load;
    expect(failed).toBe(0);
    expect(served).toBeGreaterThan(0);
    expect(r.pruned).toBe(550);
    const v = await h.runtime.audit.verify();
    expect(v).toMatchObject({ ok: true, from: 551 });
    expect(v.ok && v.count).toBeGreaterThanOrEqual(600 + served);
  });

  test('retention prunes by age, in batches, and keeps what is younger', async () => {
    const h = await withEntries(10);
    const cutoffSeq = (await exported(h, 0)).length;
    h.clock.advance(2 * 86_400_000);
    for (let i = 0; i < 5; i++) await h.call('GET', '/v1/ignite/secrets/s0', { token: h.bearer });
    const pruned: number[] = [];
    const retention = startAuditRetention({
      log: h.runtime.audit,
      retentionMs: 86_400_000,
      clock: h.clock,
      batch: 3,
      onPruned: (r) => pruned.push(r.pruned),
    });
    for (let i = 0; i < 100 && pruned.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await retention.stop();
    expect(pruned).toEqual([cutoffSeq]);
    expect(await h.runtime.audit.verify()).toMatchObject({ ok: true, from: cutoffSeq + 1 });
  });
});
