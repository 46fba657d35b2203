import { describe, expect, test } from 'vitest';
import { makeHarness, registryValue } from '../support/harness';

describe('issue 13 item 5: the registry lookup without host is metadata only', () => {
  test('GetSecret alone can no longer list every registry password; ListSecrets gets addresses and usernames', async () => {
    const h = await makeHarness();
    const writer = await h.token('acme', ['CreateSecret']);
    const names = Array.from(
      { length: 40 },
      (_, i) => `registry-slot-with-a-longish-name-${String(i).padStart(2, '0')}`,
    );
    for (const [i, name] of names.entries()) {
      const res = await h.call('POST', '/v1/ignite/secrets', {
        token: writer,
        body: { name, value: registryValue(`r${i}.example.com`, `user${i}`, `PASSWORD-${i}`) },
      });
      expect(res.status).toBe(200);
    }
    // Before the fix: 200 with all 40 passwords for a GetSecret-only token.
    const getOnly = await h.call('GET', '/v1/ignite/registry-secrets', {
      token: await h.token('acme', ['GetSecret']),
    });
    expect([getOnly.status, getOnly.json.code]).toEqual([403, 7]);
    expect(getOnly.text).not.toContain('PASSWORD-');

    const lister = await h.token('acme', ['ListSecrets']);
    const all = await h.call('GET', '/v1/ignite/registry-secrets', { token: lister });
    expect(all.status).toBe(200);
    expect(all.text).not.toContain('PASSWORD-');
    const secrets = all.json.secrets as Array<{
      metadata: { name: string };
      value: { registrySecret: Record<string, string> };
    }>;
    expect(secrets).toHaveLength(40);
    expect(secrets[3]?.value.registrySecret).toEqual({
      username: 'user3',
      password: '',
      serverAddress: 'r3.example.com',
    });

    // A lookup by host still returns the value, with GetSecret.
    const one = await h.call('GET', '/v1/ignite/registry-secrets?host=r7.example.com', {
      token: await h.token('acme', ['GetSecret']),
    });
    expect(one.text).toContain('PASSWORD-7');

    // The audit entry names every slot returned (2,000+ characters here), never cut short.
    const entry = (await h.runtime.audit.list({ limit: 100 })).filter(
      (e) => e.action === 'FindRegistrySecrets' && e.code === 'OK',
    )[0];
    expect(entry?.slot?.split(',')).toEqual(names);
  });
});
