import fc from 'fast-check';
import { ALL_SCOPES } from '@dodil/shared';
import { describe, expect, test } from 'vitest';
import { patternMatches } from '../../src/services/grants';
import { gitValue, makeHarness } from '../support/harness';

type H = Awaited<ReturnType<typeof makeHarness>>;

async function adminToken(
  h: H,
  extra: { slots?: string[]; expiresInMs?: number; scopes?: readonly string[] } = {},
) {
  if ((await h.runtime.stores.orgs.getByName('acme')) === undefined) await h.runtime.admin.createOrg('acme');
  return h.runtime.admin.createToken({ org: 'acme', scopes: extra.scopes ?? ALL_SCOPES, ...extra });
}

const mint = (h: H, token: string, body: unknown) => h.call('POST', '/v1/ignite/tokens', { token, body });

describe('POST/GET/DELETE /v1/ignite/tokens', () => {
  test('mints a narrower token shown once; it works within its scopes and grants', async () => {
    const h = await makeHarness();
    const root = await adminToken(h);
    await h.call('POST', '/v1/ignite/secrets', {
      token: root.token,
      body: { name: 'gh-clone', value: gitValue() },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token: root.token,
      body: { name: 'npm', value: gitValue() },
    });
    const out = await mint(h, root.token, {
      name: 'ci',
      scopes: ['GetSecret'],
      slots: ['gh-*'],
      expiresInSeconds: 600,
    });
    expect(out.status).toBe(200);
    expect(out.headers.get('cache-control')).toBe('no-store');
    expect(out.json).toEqual({
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest types asymmetric matchers as any
      token: expect.stringMatching(/^dodil_/),
      expiresAtMs: String(h.clock() + 600_000),
    });
    const child = String(out.json.token);
    expect((await h.call('GET', '/v1/ignite/secrets/gh-clone', { token: child })).status).toBe(200);
    expect((await h.call('GET', '/v1/ignite/secrets/npm', { token: child })).status).toBe(403);
    expect((await h.call('GET', '/v1/ignite/secrets', { token: child })).status).toBe(403); // no ListSecrets

    const list = await h.call('GET', '/v1/ignite/tokens', { token: root.token });
    expect(list.status).toBe(200);
    expect(list.json.tokens).toEqual([
      {
        id: out.json.id,
        name: 'ci',
        scopes: ['GetSecret'],
        slots: ['gh-*'],
        createdAtMs: String(h.clock()),
        expiresAtMs: String(h.clock() + 600_000),
        lastUsedAtMs: String(h.clock()),
        revokedAtMs: '0',
        parentId: root.id,
      },
    ]);
    expect(list.text).not.toContain(child.split('_').slice(2).join('_'));
  });

  test('refusals: missing scope, broader scopes, broader grants, longer life, bad input', async () => {
    const h = await makeHarness();
    const noManage = await adminToken(h, { scopes: ['GetSecret'] });
    expect((await mint(h, noManage.token, { scopes: ['GetSecret'] })).status).toBe(403);
    expect((await h.call('GET', '/v1/ignite/tokens', { token: noManage.token })).status).toBe(403);

    const limited = await adminToken(h, {
      scopes: ['ManageTokens', 'GetSecret'],
      slots: ['gh-*'],
      expiresInMs: 3_600_000,
    });
    const cases: [unknown, number][] = [
      [{ scopes: ['GetSecret', 'CreateSecret'] }, 403],
      [{ scopes: ['GetSecret'], slots: ['*'] }, 403],
      [{ scopes: ['GetSecret'], slots: ['g*'] }, 403],
      [{ scopes: ['GetSecret'], slots: ['gh-*', 'npm'] }, 403],
      [{ scopes: ['GetSecret'], expiresInSeconds: 3601 }, 403],
      [{ scopes: ['GetSecret'], expiresInSeconds: 0 }, 400],
      [{ scopes: ['Nope'] }, 400],
      [{ scopes: [] }, 400],
      [{ scopes: ['GetSecret'], slots: ['a b'] }, 400],
      [{ scopes: ['GetSecret'], extra: 1 }, 400],
      [{ scopes: 'GetSecret' }, 400],
    ];
    for (const [body, status] of cases) {
      const out = await mint(h, limited.token, body);
      expect({ body, status: out.status }).toEqual({ body, status });
    }
    // Within bounds, absent fields inherit the minter's grants and expiry.
    const ok = await mint(h, limited.token, { scopes: ['GetSecret'], slots: ['gh-a*'] });
    expect(ok.status).toBe(200);
    expect(ok.json.expiresAtMs).toBe(String(h.clock() + 3_600_000));
    const inherited = await mint(h, limited.token, { scopes: ['GetSecret'] });
    const listed = await h.call('GET', '/v1/ignite/tokens', { token: limited.token });
    expect(
      (listed.json.tokens as { id: string; slots: string[] }[]).find((t) => t.id === inherited.json.id)
        ?.slots,
    ).toEqual(['gh-*']);
  });

  test('a token sees and revokes only its descendants; revoking revokes the subtree; all audited', async () => {
    const h = await makeHarness();
    const admin = await adminToken(h);
    const a = await mint(h, admin.token, { name: 'a', scopes: ['ManageTokens', 'GetSecret'] });
    const b = await mint(h, String(a.json.token), { name: 'b', scopes: ['ManageTokens', 'GetSecret'] });
    const c = await mint(h, String(b.json.token), { name: 'c', scopes: ['GetSecret'] });
    const sibling = await mint(h, admin.token, { name: 's', scopes: ['ManageTokens'] });
    const ids = (r: { json: Record<string, unknown> }) =>
      (r.json.tokens as { id: string }[]).map((t) => t.id).sort();

    expect(ids(await h.call('GET', '/v1/ignite/tokens', { token: String(a.json.token) }))).toEqual(
      [String(b.json.id), String(c.json.id)].sort(),
    );
    expect(ids(await h.call('GET', '/v1/ignite/tokens', { token: String(sibling.json.token) }))).toEqual([]);
    // Not its own, not an ancestor, not a sibling, not a missing id: all the same NOT_FOUND.
    for (const id of [a.json.id, admin.id, sibling.json.id, 'ffffffffffffffff']) {
      expect(
        (await h.call('DELETE', `/v1/ignite/tokens/${String(id)}`, { token: String(a.json.token) })).status,
      ).toBe(404);
    }
    expect((await h.call('DELETE', '/v1/ignite/tokens/zz', { token: admin.token })).status).toBe(400);

    expect(
      (await h.call('DELETE', `/v1/ignite/tokens/${String(a.json.id)}`, { token: admin.token })).status,
    ).toBe(200);
    for (const t of [a, b, c]) {
      expect((await h.call('GET', '/v1/ignite/secrets/x', { token: String(t.json.token) })).status).toBe(401);
    }
    expect((await h.call('GET', '/v1/ignite/tokens', { token: String(sibling.json.token) })).status).toBe(
      200,
    );
    const actions = (await h.runtime.audit.list({ limit: 1000 })).map((e) => `${e.action}:${e.code}`);
    expect(actions).toContain('CreateToken:OK');
    expect(actions).toContain('RevokeToken:OK');
    expect(actions).toContain('RevokeToken:NOT_FOUND');
    expect(actions).toContain('ListTokens:OK');
  });

  test('the operator CLI revoke also revokes every token minted under it', async () => {
    const h = await makeHarness();
    const admin = await adminToken(h);
    const a = await mint(h, admin.token, { scopes: ['ManageTokens'] });
    const b = await mint(h, String(a.json.token), { scopes: ['ManageTokens'] });
    expect(await h.runtime.admin.revokeToken(admin.id)).toBe(true);
    expect((await h.call('GET', '/v1/ignite/tokens', { token: String(b.json.token) })).status).toBe(401);
  });
});

// Random minters and random requests: whatever is granted, a minted token's scopes, grants and
// expiry are within its minter's; and revoking any node kills exactly its subtree.
const SLOT_NAMES = ['a', 'ab', 'abc', 'b', 'ba', 'gh-x', 'gh', 'c'];
const patternArb = fc.constantFrom('*', 'a*', 'ab*', 'a', 'ab', 'b*', 'gh-*', 'gh*', 'gh', 'c', 'x*');
const scopesArb = fc.subarray([...ALL_SCOPES], { minLength: 1 });
const grantsArb = fc.option(fc.uniqueArray(patternArb, { minLength: 1, maxLength: 3 }), { nil: undefined });
const expiryArb = fc.option(fc.integer({ min: 1, max: 7200 }), { nil: undefined });

describe('property: minted tokens are never broader than their minter', () => {
  test('scopes ⊆, every granted name granted to the minter, expiry ≤', async () => {
    await fc.assert(
      fc.asyncProperty(
        scopesArb,
        grantsArb,
        expiryArb,
        fc.record({ scopes: scopesArb, slots: grantsArb, expiresInSeconds: expiryArb }),
        async (callerScopes, callerGrants, callerExpiry, request) => {
          const h = await makeHarness();
          const caller = await adminToken(h, {
            scopes: [...new Set([...callerScopes, 'ManageTokens'])],
            ...(callerGrants === undefined ? {} : { slots: callerGrants }),
            ...(callerExpiry === undefined ? {} : { expiresInMs: callerExpiry * 1000 }),
          });
          const body = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
          const out = await mint(h, caller.token, body);
          if (out.status !== 200) {
            expect(out.status).toBe(403);
            return;
          }
          const minted = await h.runtime.auth.authenticate(`Bearer ${String(out.json.token)}`, '127.0.0.1');
          const minter = await h.runtime.auth.authenticate(`Bearer ${caller.token}`, '127.0.0.1');
          for (const s of minted.scopes) expect(minter.scopes.has(s)).toBe(true);
          for (const name of SLOT_NAMES) {
            const childAllows =
              minted.grants === undefined || minted.grants.some((p) => patternMatches(p, name));
            const parentAllows =
              minter.grants === undefined || minter.grants.some((p) => patternMatches(p, name));
            if (childAllows) expect(parentAllows).toBe(true);
          }
          if (minter.expiresAtMs !== undefined) {
            expect(minted.expiresAtMs).toBeDefined();
            expect(minted.expiresAtMs ?? Infinity).toBeLessThanOrEqual(minter.expiresAtMs);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  test('revoking any token of a random tree revokes exactly its subtree', async () => {
    await fc.assert(
      fc.asyncProperty(
        // parent index of each new node among those before it (node 0 is the operator's token)
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        async (parents, pick) => {
          const h = await makeHarness();
          const root = await adminToken(h, { scopes: ['ManageTokens'] });
          const nodes: { id: string; token: string; parent: number }[] = [
            { id: root.id, token: root.token, parent: -1 },
          ];
          for (const p of parents) {
            const parent = p % nodes.length;
            const out = await mint(h, nodes[parent]?.token ?? '', { scopes: ['ManageTokens'] });
            expect(out.status).toBe(200);
            nodes.push({ id: String(out.json.id), token: String(out.json.token), parent });
          }
          const target = 1 + (pick % (nodes.length - 1));
          const inSubtree = (i: number): boolean =>
            i === target || (i > 0 && inSubtree(nodes[i]?.parent ?? -1));
          const out = await h.call('DELETE', `/v1/ignite/tokens/${nodes[target]?.id ?? ''}`, {
            token: root.token,
          });
          expect(out.status).toBe(200);
          for (let i = 0; i < nodes.length; i++) {
            const status = (await h.call('GET', '/v1/ignite/tokens', { token: nodes[i]?.token ?? '' }))
              .status;
            expect({ i, status }).toEqual({ i, status: inSubtree(i) ? 401 : 200 });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
