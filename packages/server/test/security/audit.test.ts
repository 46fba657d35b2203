import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { gitValue, makeHarness } from '../support/harness';
import { cli } from './support';

const SECRET = 'ghp_AUDIT_NEVER_STORES_THIS';

/** A harness with a few audited calls of every kind: 12 entries. */
async function seeded() {
  const h = await makeHarness();
  const token = await h.token('acme'); // org.create, token.create
  await h.call('POST', '/v1/ignite/secrets', {
    token,
    body: { name: 'gh', value: gitValue('octo', SECRET) },
  });
  await h.call('GET', '/v1/ignite/secrets/gh', { token });
  await h.call('GET', '/v1/ignite/secrets/missing', { token });
  await h.call('GET', '/v1/ignite/secrets', { token });
  await h.call('GET', '/v1/ignite/registry-secrets?host=ghcr.io', { token });
  await h.call('GET', '/v1/ignite/secrets', {
    headers: { authorization: 'Bearer dodil_0123456789abcdef_xx' },
  });
  await h.call('DELETE', '/v1/ignite/secrets/gh', { token });
  await h.call('DELETE', '/v1/ignite/secrets/gh', { token });
  await h.call('GET', '/v1/ignite/secrets/bad%20name', { token });
  await h.call('POST', '/v1/ignite/secrets', {
    token,
    body: { name: 'gh2', value: gitValue('octo', SECRET) },
  });
  return { h, token, file: join(h.dir, 'dodil.db') };
}

function tamper(file: string, sql: (db: BetterSqlite3.Database) => void): void {
  const db = new BetterSqlite3(file);
  try {
    sql(db);
  } finally {
    db.close();
  }
}

describe('audit log contents', () => {
  test('every RPC, failed authentication and admin action is recorded; never a value or a token', async () => {
    const { h, token, file } = await seeded();
    const list = await cli(['audit', 'list', '--data-dir', h.dir, '-o', 'json']);
    expect(list.code).toBe(0);
    const entries = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e.action, e.code, e.slot])).toEqual([
      ['org.create', 'OK', null],
      ['token.create', 'OK', null],
      ['CreateSecret', 'OK', 'gh'],
      ['GetSecret', 'OK', 'gh'],
      ['GetSecret', 'NOT_FOUND', 'missing'],
      ['ListSecrets', 'OK', null],
      ['FindRegistrySecrets', 'OK', null],
      ['Authenticate', 'UNAUTHENTICATED', null],
      ['DeleteSecret', 'OK', 'gh'],
      ['DeleteSecret', 'OK', 'gh'],
      ['GetSecret', 'INVALID_ARGUMENT', null],
      ['CreateSecret', 'OK', 'gh2'],
    ]);
    const get = entries[3] ?? {};
    const tokenId = token.split('_')[1];
    expect(get).toMatchObject({ org: 'acme', tokenId, clientAddress: 'unknown', seq: 4 });
    expect(get.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The public id a caller claimed is kept (useful when hunting a leaked token); never the secret half.
    expect(entries[7]).toMatchObject({ tokenId: '0123456789abcdef', detail: 'malformed bearer token' });
    expect(entries[10]).toMatchObject({ detail: 'invalid slot name' });
    // Neither the value nor the token's secret half is anywhere in the file (or its WAL).
    await h.runtime.close();
    const bytes = readFileSync(file).toString('latin1');
    expect(bytes).not.toContain(SECRET);
    expect(bytes).not.toContain(token.split('_').slice(2).join('_'));
    expect(list.stdout).not.toContain(SECRET);

    const acmeOnly = await cli(['audit', 'list', '--data-dir', h.dir, '--org', 'acme', '--limit', '3']);
    expect(acmeOnly.stdout.trim().split('\n')).toHaveLength(4); // header + 3
    expect(acmeOnly.stdout).toMatch(/^SEQ\s+TIME\s+ACTION\s+CODE\s+ORG\s+SLOT/);
  });

  test('audit verify passes on an intact log and prints its head as an anchor', async () => {
    const { h } = await seeded();
    const ok = await cli(['audit', 'verify', '--data-dir', h.dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^12:[0-9a-f]{64}\n$/);
    await h.call('GET', '/healthz');
    const later = await cli(['audit', 'verify', '--data-dir', h.dir, '--anchor', ok.stdout.trim()]);
    expect(later.code).toBe(0);
    expect(later.stderr).toContain('extends anchor 12');
  });
});

describe('audit verify catches tampering and names the first broken entry', () => {
  // The third field: whether the server notices at once. Appending checks the tail against the
  // head (cheap); edits further back are found by `audit verify`, which then keeps naming them.
  const cases: Array<[string, (db: BetterSqlite3.Database) => void, RegExp, 'refuses' | 'serves']> = [
    [
      'an edited entry',
      (db) => db.prepare("UPDATE audit_log SET slot = 'other' WHERE seq = 5").run(),
      /entry 5: .*does not match its MAC/,
      'serves',
    ],
    [
      'an edited outcome',
      (db) => db.prepare("UPDATE audit_log SET code = 'OK' WHERE seq = 8").run(),
      /entry 8:/,
      'serves',
    ],
    [
      'a deleted entry',
      (db) => db.prepare('DELETE FROM audit_log WHERE seq = 4').run(),
      /entry 4: entry 4 is missing/,
      'serves',
    ],
    [
      'two entries swapped',
      (db) => {
        const cols =
          'time_ms, request_id, token_id, org_id, org, action, slot, code, client_address, detail, mac';
        const a = db.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 3`).get() as Record<string, unknown>;
        const b = db.prepare(`SELECT ${cols} FROM audit_log WHERE seq = 6`).get() as Record<string, unknown>;
        const set = db.prepare(
          `UPDATE audit_log SET time_ms=@time_ms, request_id=@request_id, token_id=@token_id, org_id=@org_id, org=@org,
           action=@action, slot=@slot, code=@code, client_address=@client_address, detail=@detail, mac=@mac WHERE seq=@seq`,
        );
        set.run({ ...b, seq: 3 });
        set.run({ ...a, seq: 6 });
      },
      /entry 3:/,
      'serves',
    ],
    [
      'entries renumbered',
      (db) => {
        db.prepare('UPDATE audit_log SET seq = 100 WHERE seq = 2').run();
        db.prepare('UPDATE audit_log SET seq = 2 WHERE seq = 9').run();
        db.prepare('UPDATE audit_log SET seq = 9 WHERE seq = 100').run();
      },
      /entry 2:/,
      'serves',
    ],
    [
      'a cut tail',
      (db) => db.prepare('DELETE FROM audit_log WHERE seq > 7').run(),
      /entry 8: the log ends at entry 7 but its head records 12/,
      'refuses',
    ],
    [
      'a cut tail with the head rewound',
      (db) => {
        db.prepare('DELETE FROM audit_log WHERE seq > 7').run();
        const mac = (db.prepare('SELECT mac FROM audit_log WHERE seq = 7').get() as { mac: Buffer }).mac;
        const count = Buffer.alloc(8);
        count.writeBigUInt64BE(7n);
        const head = Buffer.concat([count, mac, Buffer.alloc(32)]);
        db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(head);
      },
      /entry 8: the audit head record is forged or corrupt/,
      'refuses',
    ],
    [
      'the head deleted',
      (db) => db.prepare("DELETE FROM meta WHERE key = 'audit_head'").run(),
      /entry 13: the audit head record is missing/,
      'refuses',
    ],
    [
      'an entry forged at the end',
      (db) =>
        db
          .prepare(
            `INSERT INTO audit_log (seq, time_ms, request_id, action, code, client_address, mac)
             VALUES (13, 0, 'x', 'GetSecret', 'OK', '127.0.0.1', zeroblob(32))`,
          )
          .run(),
      /entry 13:/,
      'refuses',
    ],
  ];

  test.each(cases)('%s', async (_label, edit, expected, server) => {
    const { h, file, token } = await seeded();
    await h.runtime.close();
    tamper(file, edit);
    const res = await cli(['audit', 'verify', '--data-dir', h.dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^audit log BROKEN at /);
    expect(res.stderr).toMatch(expected);

    const again = await makeHarness({ dir: h.dir });
    const got = await again.call('GET', '/v1/ignite/secrets/gh2', { token });
    const put = await again.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'new', value: gitValue() },
    });
    const ready = await again.call('GET', '/readyz');
    await again.runtime.close();
    const db = new BetterSqlite3(file, { readonly: true });
    const written = db.prepare("SELECT count(*) AS n FROM slots WHERE name = 'new'").get();
    db.close();
    if (server === 'refuses') {
      // Fail closed: the server serves nothing rather than extend a chain whose tail was cut.
      expect([got.status, put.status, written, ready.status]).toEqual([503, 503, { n: 0 }, 503]);
      expect(got.text).not.toContain(SECRET);
    } else {
      expect([got.status, put.status, written, ready.status]).toEqual([200, 200, { n: 1 }, 200]);
      // New entries don't launder the break: verify still names the same entry.
      expect((await cli(['audit', 'verify', '--data-dir', h.dir])).stderr).toMatch(expected);
    }

    // The operator's way out keeps the evidence and starts a chain that says what happened.
    const restart = await cli(['audit', 'restart-chain', '--data-dir', h.dir]);
    expect(restart.code).toBe(0);
    expect((await cli(['audit', 'verify', '--data-dir', h.dir])).code).toBe(0);
    const entries = JSON.parse(
      (await cli(['audit', 'list', '--data-dir', h.dir, '-o', 'json'])).stdout,
    ) as Array<{
      action: string;
      detail: string;
    }>;
    expect(entries.map((e) => e.action)).toEqual(['audit.init', 'audit.restart-chain']);
    expect(entries[1]?.detail).toMatch(
      /previous chain broken at entry \d+.*kept in table audit_log_archive_\d+/,
    );
  });
});

describe('fail closed', () => {
  test('when the audit entry cannot be written, no value is returned and nothing is written', async () => {
    const { h, token, file } = await seeded();
    const blocker = new BetterSqlite3(file);
    blocker.exec(
      "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit disk full'); END",
    );
    const got = await h.call('GET', '/v1/ignite/secrets/gh2', { token });
    expect([got.status, got.json.code]).toEqual([503, 14]);
    expect(got.text).not.toContain(SECRET);
    const put = await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'gh2', value: gitValue('x', 'CHANGED') },
    });
    expect(put.status).toBe(503);
    const del = await h.call('DELETE', '/v1/ignite/secrets/gh2', { token });
    expect(del.status).toBe(503);
    const bad = await h.call('GET', '/v1/ignite/secrets', { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(503);
    blocker.exec('DROP TRIGGER no_audit');
    blocker.close();
    // The refused write and delete changed nothing, and the chain is intact.
    const after = await h.call('GET', '/v1/ignite/secrets/gh2', { token });
    expect(after.json.value).toEqual(gitValue('octo', SECRET));
    expect((await cli(['audit', 'verify', '--data-dir', h.dir])).code).toBe(0);
  });

  test('concurrent reads share commits and every one of them is in the chain', async () => {
    const { h, token } = await seeded();
    const results = await Promise.all(
      Array.from({ length: 64 }, () => h.call('GET', '/v1/ignite/secrets/gh2', { token })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const verify = await cli(['audit', 'verify', '--data-dir', h.dir]);
    expect(verify.stdout).toMatch(/^76:/);
  });
});
