import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { SCOPES } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { openRuntime } from '../../src/runtime';
import { TEST_MASTER_KEY, tempDir, testKeyB64 } from '../support/harness';
import { cli, runBundle, servedWorld, serverBundle } from './support';

let bundle: { file: string };
beforeAll(() => {
  bundle = { file: serverBundle() };
});

const git = (token: string): SecretValue => ({ gitSecret: { username: 'bot', token } });

/** Every slot of org acme in a data dir, decrypted through the services. */
async function slotsOf(dir: string): Promise<Map<string, string>> {
  const runtime = await openRuntime({ databaseFile: join(dir, 'dodil.db'), masterKey: TEST_MASTER_KEY });
  try {
    const org = await runtime.stores.orgs.getByName('acme');
    if (org === undefined) throw new Error('no org acme');
    const ctx = {
      principal: { orgId: org.id, orgName: 'acme', tokenId: '0000000000000000', scopes: new Set(SCOPES) },
      requestId: 'check',
      clientAddress: 'test',
    };
    const out = new Map<string, string>();
    let pageToken = '';
    do {
      const page = await runtime.secrets.list(ctx, { pageSize: 1000, pageToken });
      for (const m of page.secrets) {
        const { value } = await runtime.secrets.get(ctx, m.name);
        out.set(m.name, 'gitSecret' in value ? value.gitSecret.token : '');
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return out;
  } finally {
    await runtime.close();
  }
}

describe('backup and restore', () => {
  test('a backup taken in another process under write load restores and serves every acknowledged slot', async () => {
    const w = await servedWorld();
    const attempted = new Map<string, string>();
    const acked = new Map<string, string>();
    let running = true;
    const writer = async (id: number) => {
      for (let n = 0; running; n++) {
        const name = `b-${id}-${n}`;
        const value = `value-${id}-${n}`;
        attempted.set(name, value);
        if ((await w.put(name, git(value))) === 200) acked.set(name, value);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    try {
      while (acked.size < 40) await new Promise((r) => setTimeout(r, 5));
      const ackedBefore = new Map(acked);
      const file = join(tempDir(), 'dodil-backup.db');
      const backup = await runBundle(bundle.file, ['backup', file, '--data-dir', w.dir]);
      const ackedAtEnd = acked.size;
      while (acked.size < ackedAtEnd + 20) await new Promise((r) => setTimeout(r, 5));
      running = false;
      await Promise.all(writers);

      expect([backup.code, backup.stderr]).toEqual([
        0,
        expect.stringMatching(/backup written to .* \(\d+ bytes, mode 0600\)/),
      ]);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file).toString('latin1')).not.toContain('value-0-0');

      const restored = tempDir();
      const res = await cli(['restore', file, '--data-dir', restored]);
      expect([res.code, res.stderr]).toEqual([
        0,
        expect.stringMatching(/restored 1 orgs and \d+ slots .*audit chain of \d+ entries verifies/),
      ]);
      expect(statSync(join(restored, 'dodil.db')).mode & 0o777).toBe(0o600);

      const slots = await slotsOf(restored);
      const missing = [...ackedBefore.keys()].filter((name) => slots.get(name) !== ackedBefore.get(name));
      expect(missing).toEqual([]);
      // Nothing torn: whatever else made it in is exactly what was written under that name.
      for (const [name, value] of slots) expect(attempted.get(name)).toBe(value);
      console.info(
        `backup under load: ${ackedBefore.size} acknowledged before, ${slots.size} in the backup, ${acked.size} acknowledged in all; 0 lost`,
      );
      expect((await cli(['audit', 'verify', '--data-dir', restored])).code).toBe(0);
      const log = JSON.parse(
        (await cli(['audit', 'list', '--data-dir', restored, '-o', 'json', '--limit', '100000'])).stdout,
      ) as Array<{
        action: string;
      }>;
      expect(log.filter((e) => e.action === 'restore')).toHaveLength(1);
    } finally {
      running = false;
      await Promise.all(writers);
      await w.close();
    }
  });

  test('restore refuses a non-empty data dir, a wrong key, a damaged file and a non-database', async () => {
    const w = await servedWorld();
    expect(await w.put('gh', git('RESTORE-VALUE'))).toBe(200);
    const dir = tempDir();
    const file = join(dir, 'b.db');
    expect((await cli(['backup', file, '--data-dir', w.dir])).code).toBe(0);
    await w.close();
    const again = await cli(['backup', file, '--data-dir', w.dir]);
    expect([again.code, again.stderr]).toEqual([6, expect.stringContaining('already exists')]);

    const occupied = tempDir();
    writeFileSync(join(occupied, 'notes.txt'), 'x');
    const busy = await cli(['restore', file, '--data-dir', occupied]);
    expect([busy.code, busy.stderr]).toEqual([1, expect.stringContaining('is not empty (notes.txt)')]);

    const wrongKey = await cli(['restore', file, '--data-dir', tempDir()], {
      DODIL_MASTER_KEY: testKeyB64(1),
    });
    expect([wrongKey.code, wrongKey.stderr]).toEqual([1, expect.stringContaining('does not open')]);

    const damaged = join(dir, 'damaged.db');
    copyFileSync(file, damaged);
    const bytes = readFileSync(damaged);
    bytes.fill(0x41, 4096, Math.min(bytes.length, 4 * 4096)); // scribble over b-tree pages 2-4
    writeFileSync(damaged, bytes);
    const bad = await cli(['restore', damaged, '--data-dir', tempDir()]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/integrity check|not a dodil backup|does not open/);

    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all');
    const notDb = await cli(['restore', junk, '--data-dir', tempDir()]);
    expect([notDb.code, notDb.stderr]).toEqual([2, expect.stringContaining('not a dodil backup')]);

    // The good backup restores, and the value comes back.
    const target = tempDir();
    expect((await cli(['restore', file, '--data-dir', target])).code).toBe(0);
    expect((await slotsOf(target)).get('gh')).toBe('RESTORE-VALUE');
  });

  test('a backup with a broken audit chain is refused, or restored with the chain archived and restarted', async () => {
    const w = await servedWorld();
    expect(await w.put('gh', git('AUDITED'))).toBe(200);
    const file = join(tempDir(), 'b.db');
    expect((await cli(['backup', file, '--data-dir', w.dir])).code).toBe(0);
    await w.close();
    const db = new BetterSqlite3(file);
    db.prepare("UPDATE audit_log SET detail = 'tampered' WHERE seq = 2").run();
    db.close();

    const refused = await cli(['restore', file, '--data-dir', tempDir()]);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringMatching(/audit log is broken at entry 2.*\n.*--accept-broken-audit/s),
    ]);
    const target = tempDir();
    const accepted = await cli(['restore', file, '--data-dir', target, '--accept-broken-audit']);
    expect(accepted.code).toBe(0);
    expect((await cli(['audit', 'verify', '--data-dir', target])).code).toBe(0);
    const log = JSON.parse(
      (await cli(['audit', 'list', '--data-dir', target, '-o', 'json'])).stdout,
    ) as Array<{ action: string; detail: string }>;
    expect(log.map((e) => e.action)).toEqual(['audit.init', 'restore']);
    expect(log[1]?.detail).toMatch(/audit chain was broken at entry 2, kept in audit_log_archive_\d+/);
    expect((await slotsOf(target)).get('gh')).toBe('AUDITED');
  });
});
