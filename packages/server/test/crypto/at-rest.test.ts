import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { gitValue, makeHarness, registryValue } from '../support/harness';

/** Every byte the data dir holds: the database, its WAL and shared memory. */
function dataDirBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
}

describe('encryption at rest', () => {
  test('neither stored values nor API tokens appear in the database files in clear', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const gitToken = 'ghp_PLAINTEXT_MARKER_0123456789';
    const password = 'registry-PLAINTEXT-MARKER-xyz';
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'g', value: gitValue('octo', gitToken) },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'r', value: registryValue('ghcr.io', 'bot', password) },
    });
    await h.call('GET', '/v1/ignite/secrets/g', { token });
    h.runtime.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = dataDirBytes(h.dir);
    for (const needle of [gitToken, password, token, token.split('_').slice(2).join('_')]) {
      expect(bytes.includes(Buffer.from(needle))).toBe(false);
      expect(bytes.includes(Buffer.from(needle, 'utf16le'))).toBe(false);
    }
    const logs = h.logger.lines.join('\n');
    expect(logs).not.toContain(gitToken);
    expect(logs).not.toContain(password);
    expect(logs).not.toContain(token);
  });

  test.each([
    ['another org', 'org'],
    ['another name', 'name'],
  ])('a row copied to %s is refused, not served', async (_label, target) => {
    const h = await makeHarness();
    const a = await h.token('org-a');
    const b = await h.token('org-b');
    await h.call('POST', '/v1/ignite/secrets', {
      token: a,
      body: { name: 'src', value: gitValue('a', 'STOLEN') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token: b,
      body: { name: 'dst', value: gitValue('b', 'mine') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token: a,
      body: { name: 'dst', value: gitValue('a', 'mine-a') },
    });

    // An attacker with write access to the file moves the ciphertext of org-a/src.
    const raw = new BetterSqlite3(join(h.dir, 'dodil.db'));
    const orgA = raw.prepare('SELECT id FROM orgs WHERE name = ?').get('org-a') as { id: string };
    const orgB = raw.prepare('SELECT id FROM orgs WHERE name = ?').get('org-b') as { id: string };
    const src = raw
      .prepare('SELECT ciphertext FROM slots WHERE org_id = ? AND name = ?')
      .get(orgA.id, 'src') as {
      ciphertext: Buffer;
    };
    const [victimOrg, victimToken] = target === 'org' ? [orgB.id, b] : [orgA.id, a];
    raw
      .prepare('UPDATE slots SET ciphertext = ? WHERE org_id = ? AND name = ?')
      .run(src.ciphertext, victimOrg, 'dst');
    raw.close();

    const res = await h.call('GET', '/v1/ignite/secrets/dst', { token: victimToken });
    expect(res.status).toBe(500);
    expect(res.json.code).toBe(13);
    expect(res.text).not.toContain('STOLEN');
    expect(h.logger.lines.some((l) => l.includes('integrity'))).toBe(true);
  });
});
