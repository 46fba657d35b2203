import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { MasterKey } from '../../src/crypto/master-key';
import { createReadinessCheck } from '../../src/ops/readiness';
import { gitValue, makeHarness } from '../support/harness';

type Harness = Awaited<ReturnType<typeof makeHarness>>;

async function readyz(h: Harness) {
  const res = await h.call('GET', '/readyz');
  const reasons = ((res.json.details ?? []) as { reason: string }[]).map((d) => d.reason);
  return { status: res.status, reasons, text: res.text, retryAfter: res.headers.get('retry-after') };
}

describe('/readyz names every server-side cause with a fixed code (docs/contract.md#operating-it)', () => {
  test('ready: 200', async () => {
    const h = await makeHarness();
    expect(await readyz(h)).toMatchObject({ status: 200, reasons: [] });
  });

  test('database unreachable: 503 DATABASE_UNREACHABLE and nothing of the driver’s text', async () => {
    const h = await makeHarness();
    h.runtime.db.close();
    const r = await readyz(h);
    expect(r).toMatchObject({ status: 503, reasons: ['DATABASE_UNREACHABLE'], retryAfter: '5' });
    expect(r.text).not.toMatch(/database connection|sqlite|not open/i);
  });

  test('a cause that clears: 503 while the probe fails, 200 again after, without a restart', async () => {
    let up = false;
    const check = createReadinessCheck([
      {
        cause: 'DATABASE_UNREACHABLE',
        healthy: () => {
          if (!up) throw new Error('ECONNREFUSED 10.0.0.5:5432 password authentication failed');
          return true;
        },
      },
      { cause: 'MASTER_KEY_INVALID', after: 'DATABASE_UNREACHABLE', healthy: () => true },
    ]);
    expect(await check()).toEqual(['DATABASE_UNREACHABLE']);
    up = true;
    expect(await check()).toEqual([]);
  });

  test('master key no longer valid (rotated by another process): 503 MASTER_KEY_INVALID', async () => {
    const h = await makeHarness();
    const other = new MasterKey(new Uint8Array(32).fill(8));
    h.runtime.db
      .prepare("UPDATE meta SET value = ? WHERE key = 'master_key_check'")
      .run(Buffer.from(other.checkValue()));
    expect(await readyz(h)).toMatchObject({ status: 503, reasons: ['MASTER_KEY_INVALID'] });
  });

  test('audit chain broken: 503 AUDIT_CHAIN_BROKEN, 200 again once the head is restored', async () => {
    const h = await makeHarness();
    const head = h.runtime.db.prepare("SELECT value FROM meta WHERE key = 'audit_head'").pluck().get();
    h.runtime.db.prepare("UPDATE meta SET value = x'00' WHERE key = 'audit_head'").run();
    expect(await readyz(h)).toMatchObject({ status: 503, reasons: ['AUDIT_CHAIN_BROKEN'] });
    h.runtime.db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(head);
    expect(await readyz(h)).toMatchObject({ status: 200 });
  });

  test('disk full (a tmpfs filled to the brim): 503 DISK_FULL, requests fail closed, 200 and served again once freed', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'dodil-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m,mode=0700', 'tmpfs', mnt]);
    onTestFinished(() => {
      execFileSync('umount', [mnt]);
      rmdirSync(mnt);
    });
    const h = await makeHarness({ dir: mnt });
    // onTestFinished hooks run last-registered first: the database closes before the unmount.
    onTestFinished(() => h.runtime.close());
    const token = await h.token();
    expect(
      (await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'gh', value: gitValue() } })).status,
    ).toBe(200);
    expect(await readyz(h)).toMatchObject({ status: 200 });

    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ENOSPC');
    }
    // The last few bytes too: to the brim.
    try {
      for (let i = 0; i < 100_000; i++) writeSync(fd, Buffer.alloc(512, 1));
    } catch {
      // full
    }
    closeSync(fd);
    expect(await readyz(h)).toMatchObject({ status: 503, reasons: ['DISK_FULL'] });
    // A write can't be made durable: refused as UNAVAILABLE (docs/contract.md#errors), no driver text, nothing partial.
    const refused = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'gh2', value: gitValue('u', 'x'.repeat(8000)) },
    });
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([
      503,
      expect.stringMatching(/^\d+$/),
    ]);
    expect(refused.text).not.toMatch(/sqlite|disk is full/i);

    rmSync(filler);
    expect(await readyz(h)).toMatchObject({ status: 200, reasons: [] });
    expect(
      (await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'gh3', value: gitValue() } }))
        .status,
    ).toBe(200);
    expect((await h.call('GET', '/v1/ignite/secrets/gh2', { token })).status).toBe(404);
    expect((await h.runtime.audit.verify()).ok).toBe(true);
  });
});
