import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { gitValue } from '../support/harness';
import { makeKey, startIdp } from './support/idp';
import type { Idp } from './support/idp';
import { startOidcWorld } from './support/oidc-world';
import type { OidcWorld } from './support/oidc-world';

afterEach(() => {
  vi.useRealTimers();
});

async function world(): Promise<{ w: OidcWorld; idp: Idp }> {
  const idp = await startIdp();
  const w = await startOidcWorld();
  await w.trust({
    issuer: idp.issuer,
    jwksUrl: idp.jwksUrl,
    claims: { repository: 'acme/*', repository_owner_id: '1234' },
    slots: ['gh-*'],
  });
  return { w, idp };
}

const REFUSED = { code: 16, message: 'token exchange refused', details: [] };

describe('POST /v1/ignite/token:exchange', () => {
  test('a valid JWT is exchanged for a short-lived token with the trust scopes and grants; audited with iss/sub/jti', async () => {
    const { w, idp } = await world();
    await w.app.request('/v1/ignite/secrets', {
      method: 'POST',
      headers: { authorization: `Bearer ${w.admin.token}` },
      body: JSON.stringify({ name: 'gh-clone', value: gitValue() }),
    });
    const jwt = await idp.sign({ jti: 'run-1-attempt-1' }, { nowSeconds: w.nowSeconds() });
    const out = await w.exchange({ org: 'acme', subjectToken: jwt });
    expect(out.status).toBe(200);
    expect(out.headers.get('cache-control')).toBe('no-store');
    expect(out.json).toEqual({
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      token: expect.stringMatching(/^dodil_/),
      expiresAtMs: String(w.clock() + 15 * 60_000),
    });
    const token = String(out.json.token);
    const principal = await w.runtime.auth.authenticate(`Bearer ${token}`, '127.0.0.1');
    expect([...principal.scopes]).toEqual(['GetSecret', 'ListSecrets']);
    expect(principal.grants).toEqual(['gh-*']);
    const get = await w.app.request('/v1/ignite/secrets/gh-clone', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(get.status).toBe(200);
    const entry = (await w.runtime.audit.list({ limit: 100 })).find((e) => e.action === 'TokenExchange');
    expect(entry).toMatchObject({ code: 'OK', org: 'acme', tokenId: token.split('_')[1] });
    expect(entry?.detail).toContain(`iss="${idp.issuer}"`);
    expect(entry?.detail).toContain('sub="repo:acme/app:ref:refs/heads/main"');
    expect(entry?.detail).toContain('jti="run-1-attempt-1"');
    // The minted token expires with the trust's TTL and is pruned after.
    w.clock.advance(15 * 60_000 + 1);
    expect(
      (await w.app.request('/v1/ignite/secrets/gh-clone', { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(401);
    w.clock.advance(60_000);
    const next = await idp.sign({}, { nowSeconds: w.nowSeconds() });
    expect((await w.exchange({ org: 'acme', subjectToken: next })).status).toBe(200);
    expect(
      await w.runtime.db.prepare('SELECT count(*) AS n FROM tokens WHERE id = ?').get(token.split('_')[1]),
    ).toEqual({ n: 0 });
  });

  test('60 s of leeway on exp and nbf', async () => {
    const { w, idp } = await world();
    const now = w.nowSeconds();
    expect(
      (
        await w.exchange({
          org: 'acme',
          subjectToken: await idp.sign({ exp: now - 50 }, { nowSeconds: now }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await w.exchange({
          org: 'acme',
          subjectToken: await idp.sign({ nbf: now + 50 }, { nowSeconds: now }),
        })
      ).status,
    ).toBe(200);
  });

  test('every refusal is the same UNAUTHENTICATED with no hint; the reason is logged and audited', async () => {
    const { w, idp } = await world();
    const now = w.nowSeconds();
    const stranger = await makeKey('k1'); // same kid, another key: the signature cannot verify
    const rsaPublic = idp.keys[0]?.publicJwk;
    await w.runtime.trusts.create({
      org: 'other',
      name: 'theirs',
      issuer: 'https://other.example.test',
      jwksJson: idp.jwksJson(),
      audience: 'dodil',
      claims: {},
      scopes: ['GetSecret'],
    });
    const hs256 = await new SignJWT({
      iss: idp.issuer,
      aud: 'dodil',
      jti: 'h',
      exp: now + 300,
      repository: 'acme/app',
      repository_owner_id: 1234,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(new TextEncoder().encode(JSON.stringify(rsaPublic)));
    const none = new UnsecuredJWT({
      iss: idp.issuer,
      aud: 'dodil',
      jti: 'n',
      exp: now + 300,
      repository: 'acme/app',
      repository_owner_id: 1234,
    }).encode();
    const replayed = await idp.sign({ jti: 'once' }, { nowSeconds: now });
    expect((await w.exchange({ org: 'acme', subjectToken: replayed })).status).toBe(200);

    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'bad signature',
        { org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: now, key: stranger }) },
        /signature/,
      ],
      ['alg none', { org: 'acme', subjectToken: none }, /alg|JWS|Unsecured/i],
      ['HS256 with the public key as secret', { org: 'acme', subjectToken: hs256 }, /alg/i],
      [
        'wrong iss',
        { org: 'acme', subjectToken: await idp.sign({ iss: 'https://evil.test' }, { nowSeconds: now }) },
        /issuer/,
      ],
      [
        'wrong aud',
        { org: 'acme', subjectToken: await idp.sign({ aud: 'other' }, { nowSeconds: now }) },
        /aud/,
      ],
      [
        'expired',
        { org: 'acme', subjectToken: await idp.sign({ exp: now - 61 }, { nowSeconds: now }) },
        /exp/,
      ],
      [
        'nbf in the future',
        { org: 'acme', subjectToken: await idp.sign({ nbf: now + 61 }, { nowSeconds: now }) },
        /nbf/,
      ],
      [
        'no jti',
        { org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: now, omit: ['jti'] }) },
        /jti/,
      ],
      ['replayed jti', { org: 'acme', subjectToken: replayed }, /exchanged before/],
      [
        'claim glob mismatch',
        { org: 'acme', subjectToken: await idp.sign({ repository: 'evil/app' }, { nowSeconds: now }) },
        /repository/,
      ],
      [
        'numeric claim mismatch',
        { org: 'acme', subjectToken: await idp.sign({ repository_owner_id: 12345 }, { nowSeconds: now }) },
        /repository_owner_id/,
      ],
      [
        'array claim never matches',
        { org: 'acme', subjectToken: await idp.sign({ repository: ['acme/app'] }, { nowSeconds: now }) },
        /repository/,
      ],
      [
        "another org's trust",
        { org: 'other', subjectToken: await idp.sign({}, { nowSeconds: now }) },
        /issuer/,
      ],
      ['unknown org', { org: 'ghost', subjectToken: await idp.sign({}, { nowSeconds: now }) }, /no such org/],
      [
        'named trust missing',
        { org: 'acme', trust: 'nope', subjectToken: await idp.sign({}, { nowSeconds: now }) },
        /no trust named/,
      ],
      ['not a JWT', { org: 'acme', subjectToken: 'garbage' }, /not a JWT/],
    ];
    for (const [name, body, reason] of cases) {
      const lines = w.logger.lines.length;
      // A fresh address per case: this test is about the answer, not the throttle.
      const out = await w.exchange(body, `10.1.0.${cases.findIndex((c) => c[0] === name) + 1}`);
      expect({ name, status: out.status, json: out.json }).toEqual({ name, status: 401, json: REFUSED });
      const logged = w.logger.lines.slice(lines).find((l) => l.includes('token exchange refused')) ?? '';
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers (expect.stringMatching) as any
      expect({ name, logged }).toEqual({ name, logged: expect.stringMatching(reason) });
    }
    const refused = (await w.runtime.audit.list({ limit: 1000 })).filter(
      (e) => e.action === 'TokenExchange' && e.code === 'UNAUTHENTICATED',
    );
    expect(refused.length).toBe(cases.length);
    expect(refused.every((e) => e.detail?.startsWith('refused'))).toBe(true);
    // What a refused JWT claimed is kept (marked as claimed) for the investigation.
    expect(refused.some((e) => e.detail?.includes('claimed iss="https://evil.test"'))).toBe(true);
  });

  test('two matching trusts refuse an unnamed request; naming one picks it', async () => {
    const { w, idp } = await world();
    await w.trust({ name: 'gha-2', issuer: idp.issuer, jwksUrl: idp.jwksUrl, scopes: ['GetSecret'] });
    const now = w.nowSeconds();
    const unnamed = await w.exchange({ org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: now }) });
    expect(unnamed.status).toBe(401);
    expect(w.logger.lines.at(-2) ?? '').toMatch(/2 trusts match/);
    const named = await w.exchange({
      org: 'acme',
      trust: 'gha-2',
      subjectToken: await idp.sign({}, { nowSeconds: now }),
    });
    expect(named.status).toBe(200);
    const p = await w.runtime.auth.authenticate(`Bearer ${String(named.json.token)}`, '127.0.0.1');
    expect([...p.scopes]).toEqual(['GetSecret']);
  });

  test('the JWKS URL down, hanging or answering 5 MB: refused, in bounded time', async () => {
    const { w, idp } = await world();
    for (const mode of ['down', 'huge', 'hang'] as const) {
      idp.setMode(mode);
      const started = performance.now();
      const out = await w.exchange(
        { org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds() }) },
        `10.2.0.${mode.length}`,
      );
      expect({ mode, status: out.status }).toEqual({ mode, status: 401 });
      // 2 s fetch timeout; generous bound for a loaded machine.
      expect(performance.now() - started).toBeLessThan(8_000);
    }
    expect(w.logger.lines.join('\n')).toMatch(/larger than 262144 bytes/);
  });

  test('issuer key rotation (new kid) works after one refetch; unknown kids refetch at most every 30 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_760_000_000_000);
    const { w, idp } = await world();
    expect(
      (await w.exchange({ org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds() }) }))
        .status,
    ).toBe(200);
    expect(idp.fetches).toBe(1);
    const k2 = await makeKey('k2', 'ES256');
    // An unknown kid within 30 s of the last fetch: no refetch (a flood of bogus kids can't hammer the IdP).
    const early = await w.exchange({
      org: 'acme',
      subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds(), key: k2 }),
    });
    expect(early.status).toBe(401);
    expect(idp.fetches).toBe(1);
    idp.setKeys([k2, ...idp.keys]);
    vi.setSystemTime(1_760_000_031_000);
    w.clock.advance(31_000);
    const rotated = await w.exchange({
      org: 'acme',
      subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds(), key: k2 }),
    });
    expect(rotated.status).toBe(200);
    expect(idp.fetches).toBe(2);
    // Both keys are known now: no more fetches.
    expect(
      (await w.exchange({ org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds() }) }))
        .status,
    ).toBe(200);
    expect(idp.fetches).toBe(2);
  });

  test('keys from --jwks-file (no network); EdDSA accepted', async () => {
    const idp = await startIdp('https://k8s.example.test');
    const ed = await makeKey('ed1', 'EdDSA');
    idp.setKeys([ed]);
    idp.setMode('down');
    const w = await startOidcWorld();
    await w.trust({
      name: 'k8s',
      issuer: idp.issuer,
      jwksJson: idp.jwksJson(),
      claims: { sub: 'system:serviceaccount:ci:*' },
    });
    const jwt = await idp.sign({ sub: 'system:serviceaccount:ci:builder' }, { nowSeconds: w.nowSeconds() });
    expect((await w.exchange({ org: 'acme', subjectToken: jwt })).status).toBe(200);
    expect(idp.fetches).toBe(0);
  });

  test('re-exchange: refused by default, allowed until exp with --allow-reexchange', async () => {
    const idp = await startIdp('https://gitlab.example.test');
    const w = await startOidcWorld();
    await w.trust({
      name: 'once',
      issuer: idp.issuer,
      jwksUrl: idp.jwksUrl,
      claims: { project_path: 'acme/*' },
    });
    await w.trust({
      name: 'again',
      issuer: idp.issuer,
      jwksUrl: idp.jwksUrl,
      claims: { project_path: 'acme/*' },
      allowReexchange: true,
    });
    const jwt = await idp.sign({ project_path: 'acme/app' }, { nowSeconds: w.nowSeconds() });
    expect((await w.exchange({ org: 'acme', trust: 'once', subjectToken: jwt })).status).toBe(200);
    expect((await w.exchange({ org: 'acme', trust: 'once', subjectToken: jwt })).status).toBe(401);
    expect((await w.exchange({ org: 'acme', trust: 'again', subjectToken: jwt })).status).toBe(200);
    expect((await w.exchange({ org: 'acme', trust: 'again', subjectToken: jwt })).status).toBe(200);
    w.clock.advance(361_000); // past exp + leeway
    expect((await w.exchange({ org: 'acme', trust: 'again', subjectToken: jwt })).status).toBe(401);
  });

  test('only failed exchanges count toward the failed-auth throttle', async () => {
    const { w, idp } = await world();
    for (let i = 0; i < 20; i++) {
      const ok = await w.exchange(
        { org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds() }) },
        '10.9.9.9',
      );
      expect(ok.status).toBe(200);
    }
    for (let i = 0; i < 10; i++) {
      expect((await w.exchange({ org: 'acme', subjectToken: 'garbage' }, '10.9.9.9')).status).toBe(401);
    }
    const throttled = await w.exchange(
      { org: 'acme', subjectToken: await idp.sign({}, { nowSeconds: w.nowSeconds() }) },
      '10.9.9.9',
    );
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    // Bearer failures and exchange failures share the limiter.
    const bearer = await w.app.request(
      '/v1/ignite/secrets',
      { headers: { authorization: 'Bearer nope' } },
      { incoming: { socket: { remoteAddress: '10.9.9.9' } } },
    );
    expect(bearer.status).toBe(429);
  });

  test('bad bodies: INVALID_ARGUMENT, and a bearer is not needed', async () => {
    const { w } = await world();
    expect((await w.exchange({ org: 'acme' })).status).toBe(400);
    expect((await w.exchange({ org: 'acme', subjectToken: 'x', extra: 1 })).status).toBe(400);
  });
});
