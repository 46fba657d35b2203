import { describe, expect, test } from 'vitest';
import { tempDir, testKeyB64 } from '../support/harness';
import { provisionOrg, runServer, startServer } from '../support/server-process';
import { startIdp } from './support/idp';

// The built server: trust created by the admin command on the data dir while the server runs,
// JWKS fetched over real HTTP from 127.0.0.1, the exchange and the tokens API over the socket.
describe('least privilege in the built server', () => {
  test('trust create, exchange, refusal reason only in the log, tokens API', async () => {
    const dir = tempDir();
    const env = { DODIL_DATA_DIR: dir, DODIL_MASTER_KEY: testKeyB64(5) };
    provisionOrg(env);
    const admin = runServer(
      ['token', 'create', '--org', 'acme', '--scopes', 'GetSecret,ManageTokens'],
      env,
    ).stdout.trim();
    const idp = await startIdp();
    const created = runServer(
      [
        'trust',
        'create',
        '--org',
        'acme',
        '--name',
        'ci',
        '--issuer',
        idp.issuer,
        '--jwks-url',
        idp.jwksUrl,
        '--audience',
        'dodil',
        '--claim',
        'repository=acme/*',
        '--scopes',
        'GetSecret',
        '--slots',
        'gh-*',
      ],
      env,
    );
    expect(created.code).toBe(0);
    const server = await startServer([], env);
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });

    const now = Math.floor(Date.now() / 1000);
    const ok = await post('/v1/ignite/token:exchange', {
      org: 'acme',
      subjectToken: await idp.sign({}, { nowSeconds: now }),
    });
    expect(ok.status).toBe(200);
    const { token } = (await ok.json()) as { token: string };
    expect(
      (await fetch(`${server.url}/v1/ignite/secrets/npm`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(403);

    const bad = await post('/v1/ignite/token:exchange', {
      org: 'acme',
      subjectToken: await idp.sign({ repository: 'evil/x' }, { nowSeconds: now }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ code: 16, message: 'token exchange refused', details: [] });
    expect(server.stdout()).toMatch(/token exchange refused.*claim \\"repository\\" does not match/);

    const minted = await post(
      '/v1/ignite/tokens',
      { name: 'deploy', scopes: ['GetSecret'], slots: ['gh-*'], expiresInSeconds: 600 },
      admin,
    );
    expect(minted.status).toBe(200);
    const list = await fetch(`${server.url}/v1/ignite/tokens`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(((await list.json()) as { tokens: { name: string }[] }).tokens.map((t) => t.name)).toEqual([
      'deploy',
    ]);
    expect(await server.stop()).toBe(0);

    const listed = runServer(['token', 'list', '--org', 'acme'], env);
    expect(listed.stdout).toMatch(/oidc:ci\s+GetSecret\s+gh-\*/);
    expect(listed.stdout).toMatch(/deploy\s+GetSecret\s+gh-\*/);
  });
});
