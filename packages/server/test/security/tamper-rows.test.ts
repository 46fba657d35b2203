import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { gitValue, makeHarness } from '../support/harness';

const A_SAME = 'A-SAME-SECRET-VALUE';
const A_OTHER = 'A-OTHER-SECRET-VALUE';
const B_SAME = 'B-SAME-SECRET-VALUE';

async function world() {
  const h = await makeHarness();
  const a = await h.token('org-a');
  const b = await h.token('org-b');
  await h.call('POST', '/v1/ignite/secrets', {
    token: a,
    body: { name: 'same', value: gitValue('a', A_SAME) },
  });
  await h.call('POST', '/v1/ignite/secrets', {
    token: a,
    body: { name: 'other', value: gitValue('a', A_OTHER) },
  });
  await h.call('POST', '/v1/ignite/secrets', {
    token: b,
    body: { name: 'same', value: gitValue('b', B_SAME) },
  });
  const orgId = async (name: string) => (await h.runtime.stores.orgs.getByName(name))?.id ?? '';
  return { h, a, b, aId: await orgId('org-a'), bId: await orgId('org-b'), file: join(h.dir, 'dodil.db') };
}

type World = Awaited<ReturnType<typeof world>>;

const edits: Array<[string, (db: BetterSqlite3.Database, w: World) => void, Array<['a' | 'b', string]>]> = [
  [
    "org A's ciphertext copied over org B's row of the same name",
    (db, w) =>
      db
        .prepare(
          'UPDATE slots SET ciphertext = (SELECT ciphertext FROM slots WHERE org_id = ? AND name = ?) WHERE org_id = ? AND name = ?',
        )
        .run(w.aId, 'same', w.bId, 'same'),
    [['b', 'same']],
  ],
  [
    "org A's row moved into org B under a new name",
    (db, w) =>
      db
        .prepare("UPDATE slots SET org_id = ?, name = 'stolen' WHERE org_id = ? AND name = 'other'")
        .run(w.bId, w.aId),
    [['b', 'stolen']],
  ],
  [
    'two rows of one org swap names',
    (db, w) => {
      db.prepare("UPDATE slots SET name = 'tmp' WHERE org_id = ? AND name = 'same'").run(w.aId);
      db.prepare("UPDATE slots SET name = 'same' WHERE org_id = ? AND name = 'other'").run(w.aId);
      db.prepare("UPDATE slots SET name = 'other' WHERE org_id = ? AND name = 'tmp'").run(w.aId);
    },
    [
      ['a', 'same'],
      ['a', 'other'],
    ],
  ],
  [
    'two rows of one org swap ciphertexts',
    (db, w) => {
      const ct = (name: string) =>
        (
          db.prepare('SELECT ciphertext FROM slots WHERE org_id = ? AND name = ?').get(w.aId, name) as {
            ciphertext: Buffer;
          }
        ).ciphertext;
      const same = ct('same');
      const other = ct('other');
      db.prepare('UPDATE slots SET ciphertext = ? WHERE org_id = ? AND name = ?').run(other, w.aId, 'same');
      db.prepare('UPDATE slots SET ciphertext = ? WHERE org_id = ? AND name = ?').run(same, w.aId, 'other');
    },
    [
      ['a', 'same'],
      ['a', 'other'],
    ],
  ],
  [
    'a git row relabelled as a registry row',
    (db, w) =>
      db
        .prepare(
          "UPDATE slots SET type = 'registry_secret', registry_host = 'ghcr.io' WHERE org_id = ? AND name = 'same'",
        )
        .run(w.aId),
    [['a', 'same']],
  ],
  [
    'a row pointed at a key version that does not exist',
    (db, w) => db.prepare('UPDATE slots SET key_version = 7 WHERE org_id = ?').run(w.aId),
    [['a', 'same']],
  ],
  [
    'one bit of a ciphertext flipped',
    (db, w) => {
      const { ciphertext } = db
        .prepare("SELECT ciphertext FROM slots WHERE org_id = ? AND name = 'same'")
        .get(w.aId) as { ciphertext: Buffer };
      ciphertext[20] = (ciphertext[20] ?? 0) ^ 1;
      db.prepare("UPDATE slots SET ciphertext = ? WHERE org_id = ? AND name = 'same'").run(ciphertext, w.aId);
    },
    [['a', 'same']],
  ],
  [
    "org A's wrapped data key copied over org B's",
    (db, w) =>
      db
        .prepare(
          'UPDATE org_keys SET wrapped = (SELECT wrapped FROM org_keys WHERE org_id = ?) WHERE org_id = ?',
        )
        .run(w.aId, w.bId),
    [['b', 'same']],
  ],
];

describe('rows moved or edited in the database file are refused, never served', () => {
  test.each(edits)('%s', async (_label, edit, refused) => {
    const w = await world();
    await w.h.runtime.close();
    const db = new BetterSqlite3(w.file);
    edit(db, w);
    db.close();
    // A fresh server on the edited file (nothing cached from before the edit).
    const h = await makeHarness({ dir: w.h.dir });
    for (const [org, name] of refused) {
      const res = await h.call('GET', `/v1/ignite/secrets/${name}`, { token: org === 'a' ? w.a : w.b });
      expect(res.status).toBe(500);
      expect(res.json).toEqual({
        code: 13,
        message: `slot ${name} failed its integrity check and is not served`,
        details: [],
      });
      for (const secret of [A_SAME, A_OTHER, B_SAME]) expect(res.text).not.toContain(secret);
      const registry = await h.call('GET', '/v1/ignite/registry-secrets', { token: org === 'a' ? w.a : w.b });
      for (const secret of [A_SAME, A_OTHER, B_SAME]) expect(registry.text).not.toContain(secret);
    }
    // The refusals are audited as INTERNAL.
    const internal = (await h.runtime.audit.list({ limit: 50 })).filter(
      (e) => e.code === 'INTERNAL' && e.action === 'GetSecret',
    );
    expect(internal.map((e) => e.slot).sort()).toEqual(refused.map(([, name]) => name).sort());
  });

  test('untouched rows keep serving next to a refused one', async () => {
    const w = await world();
    await w.h.runtime.close();
    const db = new BetterSqlite3(w.file);
    edits[0]?.[1](db, w);
    db.close();
    const h = await makeHarness({ dir: w.h.dir });
    expect((await h.call('GET', '/v1/ignite/secrets/same', { token: w.a })).json.value).toEqual(
      gitValue('a', A_SAME),
    );
    expect((await h.call('GET', '/v1/ignite/secrets/same', { token: w.b })).status).toBe(500);
    await h.call('POST', '/v1/ignite/secrets', {
      token: w.b,
      body: { name: 'same', value: gitValue('b', 'FIXED') },
    });
    expect((await h.call('GET', '/v1/ignite/secrets/same', { token: w.b })).json.value).toEqual(
      gitValue('b', 'FIXED'),
    );
  });
});

describe('token rows edited in the database file stop working', () => {
  const tokenEdits: Array<[string, string]> = [
    [
      'moved to another org',
      "UPDATE tokens SET org_id = (SELECT id FROM orgs WHERE name = 'org-b') WHERE id = ?",
    ],
    [
      'given more scopes',
      "UPDATE tokens SET scopes = 'CreateSecret,GetSecret,ListSecrets,DeleteSecret' WHERE id = ?",
    ],
    ['its expiry lifted', 'UPDATE tokens SET expires_at_ms = NULL WHERE id = ?'],
    ['its expiry moved', 'UPDATE tokens SET expires_at_ms = expires_at_ms + 86400000 WHERE id = ?'],
  ];

  test.each(tokenEdits)('a token %s is refused as unknown', async (_label, sql) => {
    const h = await makeHarness();
    await h.token('org-b');
    const token = await h.token('org-a', ['GetSecret'], { expiresInMs: 3_600_000 });
    expect((await h.call('GET', '/v1/ignite/secrets/x', { token })).status).toBe(404);
    const db = new BetterSqlite3(join(h.dir, 'dodil.db'));
    db.prepare(sql).run(token.split('_')[1]);
    db.close();
    const res = await h.call('GET', '/v1/ignite/secrets/x', { token });
    expect([res.status, res.json.message]).toEqual([401, 'unknown token']);
  });
});

test("a registry slot's clear lookup host edited in the file: its credentials go to no other host", async () => {
  const h = await makeHarness();
  const token = await h.token('org-a');
  const body = {
    name: 'ghcr',
    value: { registrySecret: { username: 'bot', password: 'GHCR-ONLY', serverAddress: 'ghcr.io' } },
  };
  expect((await h.call('POST', '/v1/ignite/secrets', { token, body })).status).toBe(200);
  const db = new BetterSqlite3(join(h.dir, 'dodil.db'));
  db.prepare("UPDATE slots SET registry_host = 'evil.example' WHERE name = 'ghcr'").run();
  db.close();
  const res = await h.call('GET', '/v1/ignite/registry-secrets?host=evil.example', { token });
  expect(res.status).toBe(500);
  expect(res.text).not.toContain('GHCR-ONLY');
});
