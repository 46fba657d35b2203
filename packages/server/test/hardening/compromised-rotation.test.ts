import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/edge/logger';
import { openRuntime } from '../../src/runtime';
import { cli } from '../security/support';
import { TEST_MASTER_KEY, gitValue, tempDir, testKey, testKeyB64 } from '../support/harness';

/** A runtime on `file` with `key`, and a REST call helper. */
async function open(file: string, key: Uint8Array) {
  const runtime = await openRuntime({ databaseFile: file, masterKey: key });
  const app = createApp({
    secrets: runtime.secrets,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    logger: silentLogger,
  });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { runtime, call };
}

describe('issue 13 item 4: keys rotate-master --compromised', () => {
  test('the reproduction: with the old key and an old backup, a forged token no longer works; pepper, audit key and data keys are new', async () => {
    const dir = tempDir();
    const file = join(dir, 'dodil.db');
    expect((await cli(['org', 'create', 'acme', '--data-dir', dir])).code).toBe(0);
    const token = (
      await cli([
        'token',
        'create',
        '--org',
        'acme',
        '--scopes',
        'CreateSecret,GetSecret,ListSecrets',
        '--data-dir',
        dir,
      ])
    ).stdout.trim();
    const before = await open(file, TEST_MASTER_KEY);
    expect(
      (
        await before.call('POST', '/v1/ignite/secrets', token, {
          name: 'gh',
          value: gitValue('octo', 'VALUE-1'),
        })
      ).status,
    ).toBe(200);
    await before.runtime.close();
    // The attacker's old backup (and the old master key, leaked).
    const backup = join(tempDir(), 'dodil.db');
    copyFileSync(file, backup);

    const newKeyFile = join(dir, 'new.key');
    writeFileSync(newKeyFile, testKeyB64(77), { mode: 0o600 });
    const rotated = await cli([
      'keys',
      'rotate-master',
      '--new-master-key-file',
      newKeyFile,
      '--compromised',
      '--data-dir',
      dir,
    ]);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toContain('EVERY API token has stopped working');
    expect(rotated.stderr).toContain('dodil-server token create --org <org>');
    expect(rotated.stderr).toMatch(
      /org acme: data key version 1 -> 2, re-encrypted 1 slots, dropped versions 1/,
    );

    // The attacker mints an all-scope token in the old backup (old pepper) and copies its row in.
    const old = await openRuntime({ databaseFile: backup, masterKey: TEST_MASTER_KEY });
    const forged = await old.admin.createToken({
      org: 'acme',
      scopes: ['GetSecret', 'ListSecrets', 'CreateSecret', 'DeleteSecret'],
    });
    await old.close();
    const src = new BetterSqlite3(backup, { readonly: true });
    const row = src.prepare('SELECT * FROM tokens WHERE id = ?').get(forged.id) as Record<string, unknown>;
    src.close();
    const live = new BetterSqlite3(file);
    live
      .prepare(
        'INSERT INTO tokens (id, org_id, name, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms) VALUES (@id, @org_id, @name, @hash, @scopes, @created_at_ms, @expires_at_ms, @revoked_at_ms)',
      )
      .run(row);
    live.close();

    const after = await open(file, testKey(77));
    // Before the fix: 200 (the pepper survived the rotation).
    expect((await after.call('GET', '/v1/ignite/secrets/gh', forged.token)).status).toBe(401);
    // Every old token stopped working too; a re-issued one works and reads the re-encrypted value.
    expect((await after.call('GET', '/v1/ignite/secrets/gh', token)).status).toBe(401);
    const fresh = await after.runtime.admin.createToken({ org: 'acme', scopes: ['GetSecret'] });
    const got = await after.call('GET', '/v1/ignite/secrets/gh', fresh.token);
    expect([got.status, got.json.value]).toEqual([200, gitValue('octo', 'VALUE-1')]);

    // The audit chain: a new segment under a new key, anchored to the old head; verify covers both.
    const verified = await after.runtime.audit.verify();
    expect(verified.ok).toBe(true);
    const entries = await after.runtime.audit.list({ limit: 100 });
    const anchor = entries.find((e) => e.action === 'keys.rotate-master');
    expect(anchor?.detail).toContain('compromised');
    expect(entries.at(-1)?.seq).toBeGreaterThan(anchor?.seq ?? Infinity);
    await after.runtime.close();

    const wrapped = new BetterSqlite3(file, { readonly: true });
    const keyVersions = wrapped.prepare('SELECT version FROM org_keys').all() as Array<{ version: number }>;
    wrapped.close();
    // Only data key versions the backup never had remain: the old master key unwraps none of them.
    expect(keyVersions.map((k) => k.version)).toEqual([2]);
  });

  test('a tampered entry in the old segment is still caught after the rotation', async () => {
    const dir = tempDir();
    const file = join(dir, 'dodil.db');
    expect((await cli(['org', 'create', 'acme', '--data-dir', dir])).code).toBe(0);
    const newKeyFile = join(dir, 'new.key');
    writeFileSync(newKeyFile, testKeyB64(78), { mode: 0o600 });
    expect(
      (
        await cli([
          'keys',
          'rotate-master',
          '--new-master-key-file',
          newKeyFile,
          '--compromised',
          '--data-dir',
          dir,
        ])
      ).code,
    ).toBe(0);
    const db = new BetterSqlite3(file);
    db.prepare("UPDATE audit_log SET detail = 'edited' WHERE seq = 1").run();
    db.close();
    const verify = await cli(['audit', 'verify', '--data-dir', dir], { DODIL_MASTER_KEY: testKeyB64(78) });
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toContain('audit log BROKEN at entry 1:');
  });
});
