import { expect, test } from 'vitest';
import { copyFixture010, fixtureSlots } from '../support/fixture-0.1.0';
import { runServer, startServer } from '../support/server-process';

// The house rule: every release opens an existing install. This is a data dir 0.1.0 wrote with its
// own commands; today's build migrates it in place and must serve it exactly as 0.1.0 did.
test('a 0.1.0 data dir opens with this build: every slot, every token as before, the audit chain verifies', async () => {
  const { dir, keyFile, tokens } = copyFixture010();
  const env = { DODIL_DATA_DIR: dir, DODIL_MASTER_KEY_FILE: keyFile };
  const before = runServer(['audit', 'verify'], env);
  expect(before.code, before.stderr).toBe(0);

  const server = await startServer([], env);
  const get = (token: string, path: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  for (const slot of fixtureSlots()) {
    const res = await get(slot.org === 'acme' ? tokens.all : tokens.other, `/v1/ignite/secrets/${slot.name}`);
    expect([slot.name, res.status]).toEqual([slot.name, 200]);
    expect(((await res.json()) as { value: unknown }).value).toEqual(slot.value);
  }
  const listed = (await (await get(tokens.all, '/v1/ignite/secrets?pageSize=100')).json()) as {
    secrets: Array<{ name: string }>;
  };
  expect(listed.secrets.map((s) => s.name).sort()).toEqual(
    fixtureSlots()
      .filter((s) => s.org === 'acme')
      .map((s) => s.name)
      .sort(),
  );

  // `revoked` is refused; `other` sees only org other (acme's slot of the same name is not its own).
  expect((await get(tokens.revoked, '/v1/ignite/secrets/gh-clone')).status).toBe(401);
  const otherList = (await (await get(tokens.other, '/v1/ignite/secrets')).json()) as {
    secrets: Array<{ name: string }>;
  };
  expect(otherList.secrets.map((s) => s.name)).toEqual(['gh-clone']);
  expect((await get(tokens.other, '/v1/ignite/secrets/bulk-1')).status).toBe(404);

  // A write works too, and the chain keeps verifying across the upgrade.
  const put = await fetch(`${server.url}/v1/ignite/secrets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.all}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'after-upgrade', value: { gitSecret: { username: 'u', token: 't' } } }),
  });
  expect(put.status).toBe(200);
  expect(await server.stop()).toBe(0);
  const after = runServer(['audit', 'verify'], env);
  expect(after.code, after.stderr).toBe(0);
  expect(Number(after.stdout.split(':')[0])).toBeGreaterThan(43);
});
