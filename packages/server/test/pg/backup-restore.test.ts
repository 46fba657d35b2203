import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { FIXTURE_0_1_0, copyFixture010, fixtureSlots } from '../support/fixture-0.1.0';
import { TEST_MASTER_KEY, tempDir } from '../support/harness';
import { pgTestDatabase } from '../support/pg';
import { populatedStore } from '../support/populated-store';
import { builtServer, startServer } from '../support/server-process';

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [builtServer(), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function getter(env: Record<string, string>) {
  const server = await startServer([], env);
  onTestFinished(() => void server.stop());
  return async (token: string, name: string) => {
    const res = await fetch(`${server.url}/v1/ignite/secrets/${name}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, value: ((await res.json()) as { value?: unknown }).value };
  };
}

const KEY = { DODIL_MASTER_KEY: Buffer.from(TEST_MASTER_KEY).toString('base64') };

test('one portable backup format: SQLite → file → PostgreSQL → file → SQLite, values, tokens and the chain intact', async () => {
  const store = await populatedStore();
  const first = join(tempDir(), 'from-sqlite.dodil');
  expect(run(['backup', first, '--data-dir', store.dir], KEY).code).toBe(0);

  const url = await pgTestDatabase();
  const restored = run(['restore', first, '--database', url], KEY);
  expect([restored.code, restored.stderr]).toEqual([
    0,
    expect.stringMatching(
      /restored 2 orgs and 17 slots into postgres:\/\/.*audit chain of \d+ entries verifies/,
    ),
  ]);
  const onPg = { ...KEY, DODIL_DATABASE_URL: url };
  expect(run(['audit', 'verify'], onPg).code).toBe(0);
  // A non-empty database is refused.
  const again = run(['restore', first, '--database', url], KEY);
  expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('not empty')]);

  const second = join(tempDir(), 'from-pg.dodil');
  const backup = run(['backup', second], onPg);
  expect([backup.code, backup.stderr]).toEqual([
    0,
    expect.stringMatching(/backup written to .* \(\d+ bytes, mode 0600\)/),
  ]);
  expect(statSync(second).mode & 0o777).toBe(0o600);

  const dir = tempDir();
  expect(run(['restore', second, '--data-dir', dir], KEY).code).toBe(0);
  const back = { ...KEY, DODIL_DATA_DIR: dir };
  expect(run(['audit', 'verify'], back).code).toBe(0);
  const get = await getter(back);
  for (const [name, slot] of store.slots) {
    const res = await get(slot.org === 'acme' ? store.tokens.live : store.tokens.beta, name);
    expect([name, res.status, res.value]).toEqual([
      name,
      200,
      { gitSecret: { username: 'bot', token: slot.token } },
    ]);
  }
  expect((await get(store.tokens.revoked, 'new-0')).status).toBe(401);
  expect((await get(store.tokens.expired, 'new-0')).status).toBe(401);
});

test('restore into PostgreSQL still accepts a 0.1.0 backup (its raw SQLite file), leaving the file untouched', async () => {
  const fixture = copyFixture010();
  const before = statSync(join(FIXTURE_0_1_0, 'dodil.db')).mtimeMs;
  const url = await pgTestDatabase();
  const key = { DODIL_MASTER_KEY_FILE: fixture.keyFile };
  const restored = run(['restore', join(FIXTURE_0_1_0, 'dodil.db'), '--database', url], key);
  expect([restored.code, restored.stderr]).toEqual([
    0,
    expect.stringContaining('restored 2 orgs and 33 slots'),
  ]);
  expect(statSync(join(FIXTURE_0_1_0, 'dodil.db')).mtimeMs).toBe(before);
  const onPg = { ...key, DODIL_DATABASE_URL: url };
  expect(run(['audit', 'verify'], onPg).code).toBe(0);
  const get = await getter(onPg);
  for (const slot of fixtureSlots()) {
    const res = await get(slot.org === 'acme' ? fixture.tokens.all : fixture.tokens.other, slot.name);
    expect([slot.name, res.status, res.value]).toEqual([slot.name, 200, slot.value]);
  }
  expect((await get(fixture.tokens.revoked, 'gh-clone')).status).toBe(401);
});
