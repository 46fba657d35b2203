import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { openDatabase } from '../../src/storage/database';
import { openPgDatabase } from '../../src/storage/pg/pg-database';
import { copyPgToSqlite } from '../../src/storage/pg/pg-store-copy';
import { copyFixture010, fixtureSlots } from '../support/fixture-0.1.0';
import { TEST_MASTER_KEY, tempDir } from '../support/harness';
import { pgTestDatabase } from '../support/pg';
import { populatedStore } from '../support/populated-store';
import { spawnSync } from 'node:child_process';
import { builtServer, startServer } from '../support/server-process';

/** `dodil-server <args>` with the built bundle; stdout and stderr both kept (success or not). */
function runServer(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [builtServer(), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The migrated PostgreSQL store, read back into a data dir (the portable format) to be served. */
async function readBack(url: string): Promise<string> {
  const dir = tempDir();
  const pg = openPgDatabase(url);
  onTestFinished(() => pg.close());
  const db = openDatabase(join(dir, 'dodil.db'));
  try {
    await copyPgToSqlite(pg, db);
  } finally {
    db.close();
  }
  return dir;
}

async function served(env: Record<string, string>) {
  const server = await startServer([], env);
  onTestFinished(() => void server.stop());
  return async (token: string, name: string) => {
    const res = await fetch(`${server.url}/v1/ignite/secrets/${name}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as { value?: unknown } };
  };
}

test('migrate-store of the 0.1.0 data dir: every slot, every token as before, the chain verifies', async () => {
  const fixture = copyFixture010();
  const url = await pgTestDatabase();
  const env = { DODIL_DATA_DIR: fixture.dir, DODIL_MASTER_KEY_FILE: fixture.keyFile };
  const migrated = runServer(['migrate-store', '--to', url], env);
  expect([migrated.code, migrated.stderr]).toEqual([
    0,
    expect.stringMatching(/copied 2 orgs, 33 slots, 3 tokens and 44 audit entries/),
  ]);
  // Into a database that is no longer empty: refused, nothing changes.
  const again = runServer(['migrate-store', '--to', url], env);
  expect([again.code, again.stderr]).toEqual([
    1,
    expect.stringContaining('the target database is not empty'),
  ]);

  // Served from PostgreSQL itself: the chain verifies there, every slot and token as before.
  const onPg = { DODIL_DATABASE_URL: url, DODIL_MASTER_KEY_FILE: fixture.keyFile };
  const verify = runServer(['audit', 'verify'], onPg);
  expect([verify.code, verify.stdout]).toEqual([0, expect.stringMatching(/^44:/)]);
  // And its portable backup (read back into a data dir) verifies too.
  const back = { DODIL_DATA_DIR: await readBack(url), DODIL_MASTER_KEY_FILE: fixture.keyFile };
  expect(runServer(['audit', 'verify'], back).code).toBe(0);
  const get = await served(onPg);
  for (const slot of fixtureSlots()) {
    const res = await get(slot.org === 'acme' ? fixture.tokens.all : fixture.tokens.other, slot.name);
    expect([slot.name, res.status, res.body.value]).toEqual([slot.name, 200, slot.value]);
  }
  expect((await get(fixture.tokens.revoked, 'gh-clone')).status).toBe(401);
});

test('migrate-store of a store with history: rotated keys, revoked and expired tokens, audit entries', async () => {
  const store = await populatedStore();
  const key = { DODIL_MASTER_KEY: Buffer.from(TEST_MASTER_KEY).toString('base64') };
  const url = await pgTestDatabase();
  const migrated = runServer(['migrate-store', '--to', url, '--data-dir', store.dir], key);
  expect([migrated.code, migrated.stderr]).toEqual([
    0,
    expect.stringMatching(/copied 2 orgs, 17 slots, 4 tokens/),
  ]);
  // A password in --to is refused before anything is opened.
  const withPassword = runServer(
    ['migrate-store', '--to', url.replace('postgres@', 'postgres:pw@'), '--data-dir', store.dir],
    key,
  );
  expect([withPassword.code, withPassword.stderr]).toEqual([
    2,
    expect.stringContaining('must not carry a password'),
  ]);

  const onPg = { ...key, DODIL_DATABASE_URL: url };
  expect(runServer(['audit', 'verify'], onPg).code).toBe(0);
  const get = await served(onPg);
  for (const [name, slot] of store.slots) {
    const res = await get(slot.org === 'acme' ? store.tokens.live : store.tokens.beta, name);
    expect([name, res.status, res.body.value]).toEqual([
      name,
      200,
      { gitSecret: { username: 'bot', token: slot.token } },
    ]);
  }
  expect((await get(store.tokens.live, 'old-0')).status).toBe(404);
  expect((await get(store.tokens.revoked, 'new-0')).status).toBe(401);
  expect((await get(store.tokens.expired, 'new-0')).status).toBe(401);
});
