import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { provisionOrg, runServer, startServer } from '../support/server-process';

const KEY = testKeyB64(5);

test('the built server runs as a user would: admin commands, start, the API over a real socket, SIGTERM', async () => {
  const dir = tempDir();
  const env = { DODIL_MASTER_KEY: KEY, DODIL_DATA_DIR: dir };
  const token = provisionOrg(env);

  const server = await startServer([], env);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const put = await fetch(`${server.url}/v1/ignite/secrets`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name: 'gh-clone',
      value: { gitSecret: { username: 'octo', token: 'SOCKET-SECRET' } },
    }),
  });
  expect(put.status).toBe(200);
  const got = (await (await fetch(`${server.url}/v1/ignite/secrets/gh-clone`, { headers: auth })).json()) as {
    value: unknown;
  };
  expect(got.value).toEqual({ gitSecret: { username: 'octo', token: 'SOCKET-SECRET' } });
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  // Admin commands work on the same data dir while the server runs, and take effect at once.
  expect(runServer(['token', 'list', '--org', 'acme'], env).code).toBe(0);
  expect(runServer(['org', 'create', 'beta'], env).code).toBe(0);
  const live = runServer(['token', 'create', '--org', 'beta', '--scopes', 'ListSecrets'], env).stdout.trim();
  const betaList = await fetch(`${server.url}/v1/ignite/secrets`, {
    headers: { authorization: `Bearer ${live}` },
  });
  expect([betaList.status, await betaList.json()]).toEqual([200, { secrets: [], nextPageToken: '' }]);
  expect(runServer(['token', 'revoke', live.split('_')[1] ?? ''], env).code).toBe(0);
  const revoked = await fetch(`${server.url}/v1/ignite/secrets`, {
    headers: { authorization: `Bearer ${live}` },
  });
  expect(revoked.status).toBe(401);

  expect(await server.stop()).toBe(0);
  expect(server.stdout()).toContain('"msg":"shutting down"');
  expect(server.stdout() + server.stderr()).not.toContain('SOCKET-SECRET');
  expect(server.stdout() + server.stderr()).not.toContain(token);
  expect(statSync(join(dir, 'dodil.db')).mode & 0o077).toBe(0);
});

test('--dev on a fresh data dir generates a key file, org default and prints a token once', async () => {
  const dir = tempDir();
  const env = { DODIL_DATA_DIR: dir };
  const first = await startServer(['--dev'], env);
  const token = /DODIL_TOKEN=(\S+)/.exec(first.stderr())?.[1] ?? '';
  expect(token).toMatch(/^dodil_/);
  expect(first.stderr()).toMatch(/DEV MODE.*NOT FOR PRODUCTION/);
  expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
  const list = await fetch(`${first.url}/v1/ignite/secrets`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(list.status).toBe(200);
  expect(await first.stop()).toBe(0);

  const second = await startServer(['--dev'], env);
  expect(second.output()).not.toContain('DODIL_TOKEN=');
  expect(first.stdout()).not.toContain(token);
  const again = await fetch(`${second.url}/v1/ignite/secrets`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(again.status).toBe(200);
  expect(await second.stop()).toBe(0);
});
