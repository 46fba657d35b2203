import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { nodeTransport } from '../../src/http/node-transport';
import { oidcSettingsFrom } from '../../src/oidc/oidc-settings';
import { EXPIRY_MARGIN_MS, cacheFileName, readCached, writeCached } from '../../src/oidc/token-cache';
import { createOidcTokenSource } from '../../src/oidc/token-source';
import { resolveSettings } from '../../src/settings';
import { tempDir } from '../helpers';

const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('when the helper exchanges by itself', () => {
  test.each([
    [{ DODIL_ORG: 'acme', DODIL_OIDC_TOKEN: 'x', HOME: '/h' }, 'token'],
    [{ DODIL_ORG: 'acme', DODIL_OIDC_TOKEN_FILE: '/f', HOME: '/h' }, 'file'],
    [
      {
        DODIL_ORG: 'acme',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'http://a',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
        HOME: '/h',
      },
      'github',
    ],
    [{ DODIL_ORG: 'acme', HOME: '/h' }, undefined],
    [{ DODIL_OIDC_TOKEN: 'x', HOME: '/h' }, undefined],
    [{ DODIL_ORG: 'acme', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://a', HOME: '/h' }, undefined],
  ])('%j → %s', (env, kind) => {
    expect(oidcSettingsFrom(env)?.source.kind).toBe(kind);
  });

  test('a token given wins: no exchange; $RUNNER_TEMP before the user cache dir; audience default', () => {
    expect(
      resolveSettings(
        {},
        { DODIL_TOKEN: 'dodil_x', DODIL_ORG: 'acme', DODIL_OIDC_TOKEN: 'j', DODIL_CONFIG: '/nonexistent' },
      ).server.oidc,
    ).toBeUndefined();
    expect(
      oidcSettingsFrom({ DODIL_ORG: 'a', DODIL_OIDC_TOKEN: 'j', RUNNER_TEMP: '/rt', HOME: '/h' })?.cacheDir,
    ).toBe('/rt/dodil-oidc');
    expect(oidcSettingsFrom({ DODIL_ORG: 'a', DODIL_OIDC_TOKEN: 'j', HOME: '/h' })?.cacheDir).toBe(
      '/h/.cache/dodil-oidc',
    );
    expect(oidcSettingsFrom({ DODIL_ORG: 'a', DODIL_OIDC_TOKEN: 'j', HOME: '/h' }, 'darwin')?.cacheDir).toBe(
      '/h/Library/Caches/dodil-oidc',
    );
    const gh = oidcSettingsFrom({
      DODIL_ORG: 'a',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'u',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
      HOME: '/h',
    });
    expect(gh?.source).toEqual({ kind: 'github', requestUrl: 'u', requestToken: 't', audience: 'dodil' });
  });

  test('the cache key separates server, org, issuer, subject and trust', () => {
    const base = { server: 's', org: 'o', issuer: 'i', subject: 'x', trust: '' };
    const names = new Set(
      [
        base,
        { ...base, server: 's2' },
        { ...base, org: 'o2' },
        { ...base, issuer: 'i2' },
        { ...base, subject: 'x2' },
        { ...base, trust: 't' },
      ].map(cacheFileName),
    );
    expect(names.size).toBe(6);
  });

  test('a cached token is dropped 60 s before it expires; files are 0600', () => {
    const dir = tempDir();
    const file = join(dir, 'c.json');
    writeCached(file, { token: 'dodil_t', expiresAtMs: 1_000_000 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCached(file, 1_000_000 - EXPIRY_MARGIN_MS - 1)?.token).toBe('dodil_t');
    expect(readCached(file, 1_000_000 - EXPIRY_MARGIN_MS)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(readCached(file, 0)).toBeUndefined();
  });

  test('a refused exchange is UNAUTHENTICATED with a pointer to `trust test`; the token file is re-read each call', async () => {
    const dir = tempDir();
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        // The first exchange is refused, later ones succeed.
        if (bodies.length > 1)
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(
              JSON.stringify({ token: `dodil_${bodies.length}`, expiresAtMs: String(Date.now() + 900_000) }),
            );
        else
          res
            .writeHead(401, { 'content-type': 'application/json' })
            .end('{"code":16,"message":"token exchange refused","details":[]}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tokenFile = join(dir, 'jwt');
    mkdirSync(join(dir, 'cache'));
    writeFileSync(tokenFile, jwt({ iss: 'https://i', sub: 'a' }));
    const source = createOidcTokenSource({
      settings: {
        org: 'acme',
        trust: undefined,
        source: { kind: 'file', path: tokenFile },
        cacheDir: join(dir, 'cache', 'dodil-oidc'),
      },
      serverUrl: url,
      transport: nodeTransport,
      timeoutMs: 5000,
      connectTimeoutMs: 2000,
      now: () => Date.now(),
    });
    await expect(source.get()).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      message: expect.stringMatching(/trust test/),
    });
    writeFileSync(tokenFile, jwt({ iss: 'https://i', sub: 'b' }));
    expect(await source.get()).toBe('dodil_2');
    expect(JSON.parse(bodies[1] ?? '{}')).toMatchObject({
      org: 'acme',
      subjectToken: jwt({ iss: 'https://i', sub: 'b' }),
    });
    // Cached now: no third request.
    expect(await source.get()).toBe('dodil_2');
    expect(bodies.length).toBe(2);
    source.drop();
    expect(await source.get()).toBe('dodil_3');
  });
});
