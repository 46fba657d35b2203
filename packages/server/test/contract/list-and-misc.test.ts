import { describe, expect, test } from 'vitest';
import { listSecretsResponseSchema } from '@dodil/shared';
import { gitValue, makeHarness, registryValue } from '../support/harness';

async function seed(h: Awaited<ReturnType<typeof makeHarness>>, token: string, count: number) {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `s-${String(i).padStart(4, '0')}`;
    names.push(name);
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name, value: gitValue() } });
  }
  return names;
}

describe('ListSecrets pagination', () => {
  test('walks every slot in name order across pages, once each', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const names = await seed(h, token, 25);
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const res = await h.call('GET', `/v1/ignite/secrets?pageSize=10&pageToken=${pageToken}`, { token });
      const page = listSecretsResponseSchema.parse(res.json);
      seen.push(...page.secrets.map((s) => s.name));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '' && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(names);
  });

  test('an exact multiple of the page size ends with an empty token, not an empty page', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await seed(h, token, 4);
    const first = await h.call('GET', '/v1/ignite/secrets?page_size=2', { token });
    const second = await h.call(
      'GET',
      `/v1/ignite/secrets?page_size=2&page_token=${String(first.json.nextPageToken)}`,
      {
        token,
      },
    );
    expect((second.json.secrets as unknown[]).length).toBe(2);
    expect(second.json.nextPageToken).toBe('');
  });

  test('pageSize defaults to 100 and is capped at 1000', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await seed(h, token, 101);
    const dflt = await h.call('GET', '/v1/ignite/secrets', { token });
    expect((dflt.json.secrets as unknown[]).length).toBe(100);
    expect(dflt.json.nextPageToken).not.toBe('');
    const big = await h.call('GET', '/v1/ignite/secrets?pageSize=5000', { token });
    expect((big.json.secrets as unknown[]).length).toBe(101);
    expect(big.json.nextPageToken).toBe('');
  });

  test.each([['not-base64!'], ['djE6YS5i'], ['eHl6'], ['a'.repeat(300)]])(
    'page token %s is INVALID_ARGUMENT',
    async (t) => {
      const h = await makeHarness();
      const res = await h.call('GET', `/v1/ignite/secrets?pageToken=${t}`, { token: await h.token() });
      expect([res.status, res.json.code]).toEqual([400, 3]);
    },
  );

  test.each([['-1'], ['abc'], ['1.5']])('pageSize %s is INVALID_ARGUMENT', async (size) => {
    const h = await makeHarness();
    const res = await h.call('GET', `/v1/ignite/secrets?pageSize=${size}`, { token: await h.token() });
    expect([res.status, res.json.code]).toEqual([400, 3]);
  });

  test("a page token from one org reveals nothing of another's slots", async () => {
    const h = await makeHarness();
    const a = await h.token('org-a');
    const b = await h.token('org-b');
    await seed(h, a, 3);
    const first = await h.call('GET', '/v1/ignite/secrets?pageSize=1', { token: a });
    const res = await h.call('GET', `/v1/ignite/secrets?pageToken=${String(first.json.nextPageToken)}`, {
      token: b,
    });
    expect(res.json).toEqual({ secrets: [], nextPageToken: '' });
  });
});

describe('registry lookup for the docker helper', () => {
  test('matches every spelling of a host, and Docker Hub for an empty address', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'ghcr', value: registryValue('ghcr.io') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'hub', value: registryValue('', 'hubuser') },
    });
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'local', value: registryValue('127.0.0.1:5000') },
    });
    await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'git', value: gitValue() } });
    const names = async (host: string) =>
      (
        (await h.call('GET', `/v1/ignite/registry-secrets?host=${encodeURIComponent(host)}`, { token })).json
          .secrets as Array<{ metadata: { name: string } }>
      ).map((s) => s.metadata.name);
    expect(await names('https://GHCR.io:443/v2/')).toEqual(['ghcr']);
    for (const hub of [
      'https://index.docker.io/v1/',
      'docker.io',
      'index.docker.io',
      'registry-1.docker.io',
    ]) {
      expect(await names(hub)).toEqual(['hub']);
    }
    expect(await names('127.0.0.1:5000')).toEqual(['local']);
    expect(await names('127.0.0.1:5001')).toEqual([]);
    const all = await h.call('GET', '/v1/ignite/registry-secrets', { token });
    expect((all.json.secrets as unknown[]).length).toBe(3);
  });

  test('a host that is not a registry is INVALID_ARGUMENT', async () => {
    const h = await makeHarness();
    const res = await h.call('GET', '/v1/ignite/registry-secrets?host=a%20b', { token: await h.token() });
    expect([res.status, res.json.code]).toEqual([400, 3]);
  });
});

describe('request ids, health and unknown routes', () => {
  test('every response carries x-request-id, errors included; a sane incoming id is kept', async () => {
    const h = await makeHarness();
    const ok = await h.call('GET', '/healthz');
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const err = await h.call('GET', '/v1/ignite/secrets', { headers: { 'x-request-id': 'trace-123' } });
    expect([err.status, err.headers.get('x-request-id')]).toEqual([401, 'trace-123']);
    const hostile = await h.call('GET', '/healthz', { headers: { 'x-request-id': 'a b <script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('healthz and readyz need no auth', async () => {
    const h = await makeHarness();
    expect((await h.call('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await h.call('GET', '/readyz')).json).toEqual({ status: 'ready' });
  });

  test('readyz is 503 once the database is closed', async () => {
    const h = await makeHarness();
    await h.runtime.close();
    expect((await h.call('GET', '/readyz')).status).toBe(503);
  });

  test('an unknown route is a JSON NOT_FOUND', async () => {
    const h = await makeHarness();
    const res = await h.call('GET', '/nope');
    expect([res.status, res.json]).toEqual([404, { code: 5, message: 'no such route', details: [] }]);
  });

  test('an unexpected failure is INTERNAL with nothing internal in it', async () => {
    const h = await makeHarness();
    const token = await h.token();
    h.runtime.db.exec('DROP TABLE slots');
    const res = await h.call('GET', '/v1/ignite/secrets/x', { token });
    expect(res.status).toBe(500);
    expect(res.json.code).toBe(13);
    expect(res.text).not.toMatch(/slots|sqlite|table/i);
    expect(h.logger.lines.some((l) => l.includes('unhandled error'))).toBe(true);
  });

  test('the access log has one line per request, with no token or value', async () => {
    const h = await makeHarness();
    const token = await h.token();
    await h.call('POST', '/v1/ignite/secrets', {
      token,
      body: { name: 'logme', value: gitValue('u', 'VALUE-123') },
    });
    await h.call('GET', '/v1/ignite/secrets/logme', { token });
    const requests = h.logger.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    expect(requests.map((r) => [r.method, r.route, r.status, r.org])).toEqual([
      ['POST', '/v1/ignite/secrets', 200, 'acme'],
      ['GET', '/v1/ignite/secrets/:name', 200, 'acme'],
    ]);
    const all = h.logger.lines.join('\n');
    expect(all).not.toContain('VALUE-123');
    expect(all).not.toContain(token.split('_').slice(2).join('_'));
  });
});
