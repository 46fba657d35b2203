import fc from 'fast-check';
import { expect, test } from 'vitest';
import { SCOPES, createSecretRequestSchema } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { createApp } from '../../src/app';
import { openSlotValue } from '../../src/crypto/slot-cipher';
import { makeHarness } from '../support/harness';

const RUNS = 500;
const BATCH = 20; // concurrent requests per run: 10,000 requests in all
const NAMES = ['alpha', 'beta', 'ghcr-pull', 'x', 'A_B-9'];
const ADDRESSES = ['10.9.0.1', '10.9.0.2', '2001:db8:1::1', '2001:db8:1::2', '::ffff:10.9.0.3'];
const EXPECTED = new Set([200, 400, 401, 403, 404, 413, 429]);

/** Two orgs, tokens of every kind, an app whose client address comes from the request's env. */
async function world() {
  const h = await makeHarness();
  const tokens = {
    full: await h.token('org-a'),
    getOnly: await h.token('org-a', ['GetSecret']),
    listOnly: await h.token('org-a', ['ListSecrets']),
    orgB: await h.token('org-b', SCOPES),
    revoked: await h.token('org-a'),
    expired: await h.token('org-a', SCOPES, { expiresInMs: 1 }),
  };
  await h.runtime.admin.revokeToken(tokens.revoked.split('_')[1] ?? '');
  const orgIds = {
    a: (await h.runtime.stores.orgs.getByName('org-a'))?.id ?? '',
    b: (await h.runtime.stores.orgs.getByName('org-b'))?.id ?? '',
  };
  const app = createApp({
    secrets: h.runtime.secrets,
    auth: h.runtime.auth,
    isReady: () => h.runtime.isReady(),
    logger: h.logger,
    clientAddressOf: (env) => (env as { addr?: string } | undefined)?.addr ?? 'unknown',
  });
  return { h, tokens, orgIds, app };
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%ZZ',
    '%00',
    '%E0%A4%A',
    '..',
    '../..',
    '\u0000',
    '\uFFFF',
    '\uD800',
    'a'.repeat(300),
  ),
);
const name = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...NAMES) }, { weight: 2, arbitrary: text });
/** What can travel in an HTTP header: latin-1 without controls (anything else never leaves a client). */
const headerText = fc.oneof(
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 80,
  }),
  fc.constantFrom('', ' ', '%00', 'a'.repeat(5000), 'dodil_0123456789abcdef_' + 'A'.repeat(43)),
);

const gitValue = fc.record({ username: text, token: text }).map((g) => ({ gitSecret: g }));
const registryValue = fc
  .record({
    username: text,
    password: text,
    serverAddress: fc.oneof(
      fc.constantFrom('', 'ghcr.io', 'https://index.docker.io/v1/', 'localhost:5000'),
      text,
    ),
  })
  .map((r) => ({ registrySecret: r }));
const goodValue = fc.oneof(
  fc
    .record({ username: fc.constantFrom('u', 'bot'), token: fc.string({ minLength: 1, maxLength: 30 }) })
    .map((g) => ({ gitSecret: g })),
  fc
    .record({
      username: fc.constant('u'),
      password: fc.string({ minLength: 1, maxLength: 30 }),
      serverAddress: fc.constantFrom('', 'ghcr.io'),
    })
    .map((r) => ({ registrySecret: r })),
);

const body: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ name: fc.constantFrom(...NAMES), value: goodValue }).map((b) => JSON.stringify(b)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ name, value: fc.oneof(gitValue, registryValue, fc.jsonValue()) })
      .map((b) => JSON.stringify(b)),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"name":"alpha","value":{"gitSecret":{"username":"u","token":"t"}},"name":"beta"}',
      '{"name":"alpha","value":{"gitSecret":{"username":"u","token":"t"},"registrySecret":{"username":"u","password":"p"}}}',
      `{"name":"alpha","value":{"gitSecret":{"username":"u","token":"${'x'.repeat(70_000)}"}}}`,
      '['.repeat(10_000),
      '{"__proto__":{"admin":true},"name":"alpha"}',
      '\uFEFF{"name":"alpha","value":{"gitSecret":{"username":"u","token":"t"}}}',
    ),
  },
  { weight: 1, arbitrary: fc.constant(new Uint8Array([0x7b, 0xff, 0xfe, 0x22, 0xc3, 0x28, 0x7d])) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** encodeURIComponent that also takes lone surrogates (which it would throw on). */
const enc = (s: string) =>
  encodeURIComponent(
    s.replace(/[\uD800-\uDFFF]/g, (c, i: number) => {
      const code = s.charCodeAt(i);
      const pair = code < 0xdc00 ? s.charCodeAt(i + 1) : s.charCodeAt(i - 1);
      return (code < 0xdc00 ? pair >= 0xdc00 && pair <= 0xdfff : pair >= 0xd800 && pair < 0xdc00)
        ? c
        : '\uFFFD';
    }),
  );

const path = fc.oneof(
  { weight: 3, arbitrary: fc.constant('/v1/ignite/secrets') },
  { weight: 4, arbitrary: name.map((n) => `/v1/ignite/secrets/${n}`) },
  { weight: 2, arbitrary: name.map((n) => `/v1/ignite/secrets/${enc(n)}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(text, text)
      .map(([s, t]) => `/v1/ignite/secrets?pageSize=${enc(s)}&pageToken=${enc(t)}`),
  },
  { weight: 2, arbitrary: text.map((h) => `/v1/ignite/registry-secrets?host=${enc(h)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/healthz',
      '/readyz',
      '/',
      '//v1//ignite/secrets',
      '/v1/ignite/secrets/a/b',
      '/v1/ignite',
      '/v1/ignite/secrets/',
      '/V1/IGNITE/SECRETS',
    ),
  },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 4 }).map((parts) => `/${parts.map(enc).join('/')}`) },
);

type TokenKind = 'full' | 'getOnly' | 'listOnly' | 'orgB' | 'revoked' | 'expired';
const authorization = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom<TokenKind>('full', 'full', 'getOnly', 'listOnly', 'orgB', 'revoked', 'expired')
      .map((kind) => ({ kind })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        headerText,
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'Basic dTpw',
          'Bearer dodil_0123456789abcdef_x',
          'bearer  dodil_',
        ),
        headerText.map((t) => `Bearer ${t}`),
      )
      .map((raw) => ({ raw })),
  },
  { weight: 1, arbitrary: fc.constant({}) },
);

const request = fc.record({
  method: fc.constantFrom(
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'HEAD',
    'OPTIONS',
    'PROPFIND',
    'get',
    'post',
  ),
  path,
  auth: authorization,
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      '*/*',
    ),
    { nil: undefined },
  ),
  contentEncoding: fc.option(fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x-garbage, gzip'), {
    nil: undefined,
  }),
  requestId: fc.option(headerText, { nil: undefined }),
  body,
  addr: fc.constantFrom(...ADDRESSES),
});

type Slot = { type: string; value: SecretValue } | undefined;

test(`${RUNS * BATCH} generated requests: no 500, no hang, no unhandled error, no cross-org leak, no partial write`, async () => {
  const w = await world();
  const tokenOf: Record<TokenKind, string> = w.tokens;
  const orgOfKind: Record<TokenKind, 'a' | 'b'> = {
    full: 'a',
    getOnly: 'a',
    listOnly: 'a',
    orgB: 'b',
    revoked: 'a',
    expired: 'a',
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  let run = 0;
  const stats = {
    requests: 0,
    unbuildable: 0,
    byStatus: new Map<number, number>(),
    unexpected: [] as string[],
  };

  async function state(org: 'a' | 'b', slot: string): Promise<Slot> {
    const orgId = w.orgIds[org];
    const record = await w.h.runtime.stores.slots.get(orgId, slot);
    if (record === undefined) return undefined;
    const dek = await w.h.runtime.orgKeys.get(orgId, record.keyVersion);
    return { type: record.type, value: openSlotValue(dek, record, record.ciphertext) };
  }
  const seed = { gitSecret: { username: 'seed', token: 'ORG-B-ONLY-SECRET' } };
  await w.h.call('POST', '/v1/ignite/secrets', {
    token: w.tokens.orgB,
    body: { name: 'alpha', value: seed },
  });

  try {
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        // Throttle windows expire every few runs, so both 429s and served requests get exercised.
        if (++run % 3 === 0) w.h.clock.advance(61_000);
        const before = new Map<string, Slot>();
        for (const org of ['a', 'b'] as const)
          for (const n of NAMES) before.set(`${org}/${n}`, await state(org, n));
        const succeeded: Array<{ org: 'a' | 'b'; method: string; name: string; value?: SecretValue }> = [];

        await Promise.all(
          batch.map(async (r) => {
            const headers = new Headers();
            let req: Request;
            try {
              const kind = 'kind' in r.auth ? r.auth.kind : undefined;
              if (kind !== undefined) headers.set('authorization', `Bearer ${tokenOf[kind]}`);
              if ('raw' in r.auth && r.auth.raw !== undefined) headers.set('authorization', r.auth.raw);
              if (r.contentType !== undefined) headers.set('content-type', r.contentType);
              if (r.contentEncoding !== undefined) headers.set('content-encoding', r.contentEncoding);
              if (r.requestId !== undefined) headers.set('x-request-id', r.requestId);
              const method = r.method.toUpperCase();
              const withBody = method !== 'GET' && method !== 'HEAD' && r.body !== undefined;
              req = new Request(`http://localhost${r.path}`, {
                method: r.method,
                headers,
                ...(withBody ? { body: r.body } : {}),
              });
            } catch {
              stats.unbuildable++; // the client library refuses it; it never reaches a server
              return;
            }
            stats.requests++;
            const res = await Promise.race([
              w.app.request(req, undefined, { addr: r.addr }),
              new Promise<never>((_, reject) =>
                setTimeout(() => reject(new Error(`hang: ${r.method} ${r.path}`)), 10_000),
              ),
            ]);
            const out = await res.text();
            stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
            const label = `${res.status} ${r.method} ${r.path.slice(0, 80)} ${out.slice(0, 120)}`;
            if (!EXPECTED.has(res.status)) stats.unexpected.push(label);
            if (res.status !== 200 && req.method !== 'HEAD') {
              const parsed = JSON.parse(out) as { code?: unknown; message?: unknown; details?: unknown };
              if (
                typeof parsed.code !== 'number' ||
                typeof parsed.message !== 'string' ||
                !Array.isArray(parsed.details)
              ) {
                stats.unexpected.push(`bad error body: ${label}`);
              }
              if (/SqliteError|TypeError|at .*\.ts:\d+/.test(out))
                stats.unexpected.push(`internals leaked: ${label}`);
            }
            const kind = 'kind' in r.auth ? r.auth.kind : undefined;
            if (out.includes('ORG-B-ONLY-SECRET') && (kind === undefined || orgOfKind[kind] !== 'b')) {
              stats.unexpected.push(`cross-org leak: ${label}`);
            }
            const pathname = new URL(req.url).pathname;
            if (res.status === 200 && kind !== undefined && pathname.startsWith('/v1/ignite/secrets')) {
              const org = orgOfKind[kind];
              if (req.method === 'POST' && pathname === '/v1/ignite/secrets' && typeof r.body === 'string') {
                // As the server reads it: UTF-8 with a leading BOM dropped (TextDecoder's default).
                const parsed = createSecretRequestSchema.parse(JSON.parse(r.body.replace(/^\uFEFF/, '')));
                succeeded.push({ org, method: 'POST', name: parsed.name, value: parsed.value });
              }
              if (req.method === 'DELETE') {
                const raw = pathname.slice('/v1/ignite/secrets/'.length);
                let deleted = raw;
                try {
                  deleted = decodeURIComponent(raw);
                } catch {
                  // not percent-encoded text; the raw form is the name
                }
                succeeded.push({ org, method: 'DELETE', name: deleted });
              }
            }
          }),
        );

        // Every slot is in its old state or in a state a successful write of this batch produced.
        for (const org of ['a', 'b'] as const) {
          for (const n of NAMES) {
            const now = await state(org, n);
            const writes = succeeded.filter((s) => s.org === org && s.name === n);
            const allowed: Slot[] = [before.get(`${org}/${n}`)];
            for (const s of writes)
              allowed.push(s.method === 'DELETE' ? undefined : { type: '', value: s.value as SecretValue });
            const same = (x: Slot, y: Slot) =>
              x === undefined
                ? y === undefined
                : y !== undefined && JSON.stringify(x.value) === JSON.stringify(y.value);
            if (!allowed.some((a) => same(a, now)))
              stats.unexpected.push(`partial or phantom write: ${org}/${n} ${JSON.stringify(now?.value)}`);
          }
        }
        expect(stats.unexpected).toEqual([]);
      }),
      { numRuns: RUNS, seed: 20_251_129, endOnFailure: true },
    );
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  console.info(
    `hostile input: ${stats.requests} requests (${stats.unbuildable} refused by the client library), statuses ${JSON.stringify(
      Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
    )}, 0 unexpected`,
  );
  expect([stats.requests, stats.unbuildable]).toEqual([RUNS * BATCH, 0]);
  expect(unhandled).toEqual([]);
  expect(w.h.logger.lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  expect((await w.h.runtime.audit.verify()).ok).toBe(true);
}, 120_000);
