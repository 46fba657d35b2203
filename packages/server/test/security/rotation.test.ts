import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { beforeAll, describe, expect, test } from 'vitest';
import { SCOPES } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { WrongMasterKeyError, openRuntime } from '../../src/runtime';
import type { CallContext } from '../../src/services/context';
import { TEST_MASTER_KEY, tempDir, testClock, testKey } from '../support/harness';
import { cli, runBundle, seededRandom, servedWorld, serverBundle } from './support';

let bundle: { file: string };
beforeAll(() => {
  bundle = { file: serverBundle() };
});

const git = (token: string): SecretValue => ({ gitSecret: { username: 'bot', token } });
const tokenOf = (v: SecretValue | undefined) =>
  v !== undefined && 'gitSecret' in v ? v.gitSecret.token : undefined;

function keyRows(dir: string) {
  const db = new BetterSqlite3(join(dir, 'dodil.db'), { readonly: true });
  try {
    return {
      keys: db.prepare('SELECT version, encryptions FROM org_keys ORDER BY version').all() as Array<{
        version: number;
        encryptions: number;
      }>,
      slotVersions: db.prepare('SELECT DISTINCT key_version AS v FROM slots ORDER BY v').all() as Array<{
        v: number;
      }>,
      current: (db.prepare('SELECT current_key_version AS v FROM orgs').get() as { v: number }).v,
    };
  } finally {
    db.close();
  }
}

describe('org key rotation (online)', () => {
  test('keys rotate-org in another process while 8 readers and a writer hammer the server: 0 failed reads', async () => {
    const w = await servedWorld();
    try {
      const SLOTS = 200;
      const written = new Map<string, Set<string>>();
      for (let i = 0; i < SLOTS; i++) {
        const name = `slot-${i}`;
        written.set(name, new Set([`v0-${i}`]));
        expect(await w.put(name, git(`v0-${i}`))).toBe(200);
      }
      let running = true;
      let reads = 0;
      let readsDuringRotation = 0;
      let rotating = false;
      const failures: string[] = [];
      const random = seededRandom(1);
      const reader = async () => {
        while (running) {
          const name = `slot-${Math.floor(random() * SLOTS)}`;
          const got = await w.get(name);
          reads++;
          if (rotating) readsDuringRotation++;
          const token = tokenOf(got.value);
          if (got.status !== 200 || token === undefined || !written.get(name)?.has(token)) {
            failures.push(`${name}: ${got.status} ${got.text.slice(0, 120)}`);
          }
        }
      };
      let writes = 0;
      const writer = async () => {
        while (running) {
          const i = Math.floor(random() * SLOTS);
          const token = `w${writes}-${i}`;
          written.get(`slot-${i}`)?.add(token); // added before the write: a reader may see it at once
          if ((await w.put(`slot-${i}`, git(token))) === 200) writes++;
        }
      };
      const loops = [...Array.from({ length: 8 }, reader), writer()];
      rotating = true;
      // Small batches stretch the rotation over many transactions, interleaved with the traffic.
      const rotation = await runBundle(bundle.file, [
        'keys',
        'rotate-org',
        'acme',
        '--data-dir',
        w.dir,
        '--batch-size',
        '2',
      ]);
      rotating = false;
      const readsBefore = reads;
      while (reads < readsBefore + 200) await new Promise((r) => setTimeout(r, 10));
      running = false;
      await Promise.all(loops);

      expect(rotation.stderr).toMatch(
        /org acme: data key version 1 -> 2, re-encrypted \d+ slots, dropped versions 1/,
      );
      expect(rotation.code).toBe(0);
      expect(failures).toEqual([]);
      expect(readsDuringRotation).toBeGreaterThan(0);
      console.info(
        `rotate-org: ${reads} reads (${readsDuringRotation} while the rotation ran), ${writes} writes, 0 failed`,
      );
      // Every slot now uses version 2, version 1 is gone, and everything still reads.
      expect(keyRows(w.dir)).toMatchObject({ slotVersions: [{ v: 2 }], current: 2 });
      expect(keyRows(w.dir).keys.map((k) => k.version)).toEqual([2]);
      for (let i = 0; i < SLOTS; i += 17) expect((await w.get(`slot-${i}`)).status).toBe(200);
      expect((await cli(['audit', 'verify', '--data-dir', w.dir])).code).toBe(0);
    } finally {
      await w.close();
    }
  });

  test('nonce budget: a data key seals at most its threshold before a new version takes over', async () => {
    const dir = tempDir();
    const runtime = await openRuntime({
      databaseFile: join(dir, 'dodil.db'),
      masterKey: TEST_MASTER_KEY,
      clock: testClock(),
      security: { rotateKeyAfter: 5 },
    });
    try {
      const org = await runtime.admin.createOrg('acme');
      const ctx: CallContext = {
        principal: { orgId: org.id, orgName: 'acme', tokenId: '0123456789abcdef', scopes: new Set(SCOPES) },
        requestId: 'r',
        clientAddress: 'test',
      };
      for (let i = 0; i < 12; i++) await runtime.secrets.create(ctx, { name: `s${i}`, value: git(`t${i}`) });
      expect(keyRows(dir)).toEqual({
        keys: [
          { version: 1, encryptions: 5 },
          { version: 2, encryptions: 5 },
          { version: 3, encryptions: 2 },
        ],
        slotVersions: [{ v: 1 }, { v: 2 }, { v: 3 }],
        current: 3,
      });
      for (let i = 0; i < 12; i++)
        expect(tokenOf((await runtime.secrets.get(ctx, `s${i}`)).value)).toBe(`t${i}`);
      expect(
        (await runtime.audit.list({ limit: 100 })).filter((e) => e.action === 'keys.rotate-auto'),
      ).toHaveLength(2);

      // A full re-encryption under the same tiny budget still converges, and old versions go.
      const report = await runtime.rotateOrgKey('acme', { batchSize: 3 });
      expect(report.unreadable).toEqual([]);
      const after = keyRows(dir);
      expect(after.keys.every((k) => k.encryptions <= 5)).toBe(true);
      expect(after.slotVersions.every((s) => s.v >= report.toVersion)).toBe(true);
      expect(after.keys.some((k) => k.version < report.toVersion)).toBe(false);
      for (let i = 0; i < 12; i++)
        expect(tokenOf((await runtime.secrets.get(ctx, `s${i}`)).value)).toBe(`t${i}`);
      expect((await runtime.audit.verify()).ok).toBe(true);
    } finally {
      await runtime.close();
    }
  });
});

describe('master key rotation', () => {
  test('re-wraps everything in one go; the old key is refused and a running server stops serving', async () => {
    let monotonic = 0;
    const w = await servedWorld({ keyCheckIntervalMs: 1000, monotonicNow: () => monotonic });
    try {
      expect(await w.put('gh', git('MASTER-ROTATION-VALUE'))).toBe(200);
      expect((await w.get('gh')).status).toBe(200);
      const newKey = Buffer.from(testKey(9));
      const keyFile = join(w.dir, 'new.key');
      writeFileSync(keyFile, newKey.toString('base64'), { mode: 0o600 });

      const rotated = await cli([
        'keys',
        'rotate-master',
        '--new-master-key-file',
        keyFile,
        '--data-dir',
        w.dir,
      ]);
      expect([rotated.code, rotated.stderr]).toEqual([
        0,
        expect.stringMatching(/re-wrapped 1 org data keys and 2 server keys/),
      ]);

      // The running server notices within its check interval and refuses, without values.
      monotonic += 1001;
      const refused = await w.get('gh');
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.text)).toMatchObject({ code: 14 });
      expect(refused.text).not.toContain('MASTER-ROTATION-VALUE');
      expect((await fetch(`${w.url}/readyz`)).status).toBe(503);
      expect(await w.put('gh', git('x'))).toBe(503);

      // Only the new key opens the store now.
      await expect(
        openRuntime({ databaseFile: join(w.dir, 'dodil.db'), masterKey: TEST_MASTER_KEY }),
      ).rejects.toThrow(WrongMasterKeyError);
      expect((await cli(['audit', 'verify', '--data-dir', w.dir])).code).toBe(3);
      const env = { DODIL_MASTER_KEY: newKey.toString('base64') };
      const verify = await cli(['audit', 'verify', '--data-dir', w.dir], env);
      expect(verify.code).toBe(0); // entries written under the old key still verify
      const restarted = await servedWorld({}, w.dir, new Uint8Array(newKey));
      try {
        expect(tokenOf((await restarted.get('gh')).value)).toBe('MASTER-ROTATION-VALUE');
      } finally {
        await restarted.close();
      }
    } finally {
      await w.close();
    }
  }, 20_000);
});
