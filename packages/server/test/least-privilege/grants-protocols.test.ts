import { describe, expect, test } from 'vitest';
import { gitValue, registryValue } from '../support/harness';
import { DRIVERS, bearer } from '../rpc/support/drivers';
import type { Protocol } from '../rpc/support/drivers';
import { startWorld } from '../rpc/support/rpc-world';
import { envelope, grpcWebFrames, protoStrings } from '../rpc/support/wire';
import type { World } from '../rpc/support/rpc-world';

// Slot grants are enforced inside the secret service, so every protocol meets the same rule:
// checked here through three independent clients (REST fetch, @grpc/grpc-js, Connect JSON).
const PROTOCOLS: readonly Protocol[] = ['rest', 'grpc', 'connect'];

async function seeded(w: World) {
  const admin = await w.token('acme');
  const rest = DRIVERS.rest(w);
  for (const name of ['gh', 'gh-clone', 'gh-push', 'ghcr-pull', 'npm-publish']) {
    const value = name.startsWith('ghcr') ? registryValue('ghcr.io') : gitValue();
    const out = await rest.create(bearer(admin), { name, value });
    if (out.code !== 'OK') throw new Error(`setup failed: ${out.code}`);
  }
  const granted = await w.runtime.admin.createToken({
    org: 'acme',
    scopes: ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret'],
    slots: ['gh-*', 'ghcr-pull'],
  });
  return bearer(granted.token);
}

describe.each(PROTOCOLS)('slot grants over %s', (protocol) => {
  test('inside the grants: served; outside: PERMISSION_DENIED whether or not the slot exists', async () => {
    const w = await startWorld();
    const auth = await seeded(w);
    const d = DRIVERS[protocol](w);

    expect((await d.get(auth, 'gh-clone')).code).toBe('OK');
    expect((await d.get(auth, 'ghcr-pull')).code).toBe('OK');
    const existing = await d.get(auth, 'npm-publish');
    const missing = await d.get(auth, 'npm-missing');
    expect(existing.code).toBe('PERMISSION_DENIED');
    expect(missing.code).toBe('PERMISSION_DENIED');
    // The same words for both: the answer does not tell whether the slot exists.
    expect(existing.message.replace('npm-publish', 'N')).toBe(missing.message.replace('npm-missing', 'N'));
    // `gh-*` does not match `gh` itself.
    expect((await d.get(auth, 'gh')).code).toBe('PERMISSION_DENIED');
    // Inside grants, a missing slot is still NOT_FOUND.
    expect((await d.get(auth, 'gh-nothing')).code).toBe('NOT_FOUND');

    expect((await d.create(auth, { name: 'gh-new', value: gitValue() })).code).toBe('OK');
    expect((await d.create(auth, { name: 'npm-new', value: gitValue() })).code).toBe('PERMISSION_DENIED');
    expect((await d.delete(auth, 'npm-publish')).code).toBe('PERMISSION_DENIED');
    expect((await d.delete(auth, 'gh-push')).code).toBe('OK');

    // Nothing outside the grants was changed.
    const all = await DRIVERS.rest(w).list(bearer(await w.token('acme')), {});
    const names = (all.data as { secrets: { name: string }[] }).secrets.map((s) => s.name);
    expect(names).toEqual(['gh', 'gh-clone', 'gh-new', 'ghcr-pull', 'npm-publish']);
  });

  test('ListSecrets returns only granted slots, and paging walks them all once', async () => {
    const w = await startWorld();
    const auth = await seeded(w);
    const d = DRIVERS[protocol](w);
    const seen: string[] = [];
    let pageToken = '';
    for (let i = 0; i < 10; i++) {
      const out = await d.list(auth, { pageSize: 1, pageToken });
      expect(out.code).toBe('OK');
      const page = out.data as { secrets: { name: string }[]; nextPageToken: string };
      seen.push(...page.secrets.map((s) => s.name));
      pageToken = page.nextPageToken;
      if (pageToken === '') break;
    }
    expect(seen).toEqual(['gh-clone', 'gh-push', 'ghcr-pull']);
  });
});

describe('grants in the registry lookup', () => {
  test('only granted registry slots are found or named', async () => {
    const w = await startWorld();
    const admin = await w.token('acme');
    const rest = DRIVERS.rest(w);
    await rest.create(bearer(admin), { name: 'ghcr-pull', value: registryValue('ghcr.io', 'a') });
    await rest.create(bearer(admin), { name: 'ghcr-other', value: registryValue('ghcr.io', 'b') });
    // ListSecrets too: the lookup without host is metadata and needs it (issue 13 item 5).
    const { token } = await w.runtime.admin.createToken({
      org: 'acme',
      scopes: ['GetSecret', 'ListSecrets'],
      slots: ['ghcr-pull'],
    });
    const lookup = async (t: string, host?: string) =>
      w.call('GET', `/v1/ignite/registry-secrets${host === undefined ? '' : `?host=${host}`}`, { token: t });
    const granted = await lookup(token, 'ghcr.io');
    expect(granted.status).toBe(200);
    expect((granted.json.secrets as { metadata: { name: string } }[]).map((s) => s.metadata.name)).toEqual([
      'ghcr-pull',
    ]);
    const everything = await lookup(token);
    expect((everything.json.secrets as unknown[]).length).toBe(1);
    expect(everything.text).not.toContain('ghcr-other');
    const unlimited = await lookup(admin, 'ghcr.io');
    expect((unlimited.json.secrets as unknown[]).length).toBe(2);
  });

  test('a token with grants that cannot be forged wider: editing the stored grants breaks the token', async () => {
    const w = await startWorld();
    await w.runtime.admin.createOrg('acme');
    const { token, id } = await w.runtime.admin.createToken({
      org: 'acme',
      scopes: ['GetSecret'],
      slots: ['a'],
    });
    w.runtime.db.prepare('UPDATE tokens SET grants = NULL WHERE id = ?').run(id);
    const out = await w.call('GET', '/v1/ignite/secrets/b', { token });
    expect(out.status).toBe(401);
  });
});

describe('slot grants over gRPC-Web (HTTP/1.1)', () => {
  test('granted: served; outside the grants, existing or not: PERMISSION_DENIED (7)', async () => {
    const w = await startWorld();
    const auth = await seeded(w);
    const call = async (name: string) => {
      const res = await fetch(`${w.url}/dodil.ignite.v1.SecretService/GetSecret`, {
        method: 'POST',
        headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', authorization: auth },
        body: envelope(protoStrings([[1, name]])),
      });
      const frames = grpcWebFrames(Buffer.from(await res.arrayBuffer()));
      return frames.trailers['grpc-status'] ?? res.headers.get('grpc-status');
    };
    expect(await call('gh-clone')).toBe('0');
    expect(await call('npm-publish')).toBe('7');
    expect(await call('npm-missing')).toBe('7');
    expect(await call('gh-nothing')).toBe('5');
  });
});
