import { describe, expect, test } from 'vitest';
import { ALL_SCOPES } from '@dodil/shared';
import { gitValue, makeHarness } from '../support/harness';

type Entry = { seq: string; timeMs: string; action: string; slot: string; code: string; tokenId: string };
type Page = { entries: Entry[]; nextPageToken: string };

describe('GET /v1/ignite/audit', () => {
  test('needs ReadAudit; shows only the caller org, newest first, filtered by slot, action and time', async () => {
    const h = await makeHarness();
    const admin = await h.token('acme', ALL_SCOPES);
    const other = await h.token('globex', ALL_SCOPES);
    await h.call('POST', '/v1/ignite/secrets', { token: admin, body: { name: 'a', value: gitValue() } });
    h.clock.advance(1000);
    const t1 = h.clock();
    await h.call('POST', '/v1/ignite/secrets', { token: admin, body: { name: 'b', value: gitValue() } });
    await h.call('GET', '/v1/ignite/secrets/b', { token: admin });
    await h.call('POST', '/v1/ignite/secrets', { token: other, body: { name: 'a', value: gitValue() } });

    const noScope = await h.call('GET', '/v1/ignite/audit', {
      token: await h.token('acme', ['ListSecrets']),
    });
    expect(noScope.status).toBe(403);
    expect(noScope.json.message).toBe('this token lacks the ReadAudit scope');

    const all = await h.call('GET', '/v1/ignite/audit', { token: admin });
    expect(all.status).toBe(200);
    const page = all.json as unknown as Page;
    expect(page.entries.map((e) => [e.action, e.slot, e.code])).toEqual([
      ['ReadAudit', '', 'PERMISSION_DENIED'],
      ['GetSecret', 'b', 'OK'],
      ['CreateSecret', 'b', 'OK'],
      ['CreateSecret', 'a', 'OK'],
    ]);
    expect(page.nextPageToken).toBe('');
    expect(Number(page.entries[0]?.seq)).toBeGreaterThan(Number(page.entries[1]?.seq));

    const bySlot = (await h.call('GET', '/v1/ignite/audit?slot=a', { token: admin })).json as unknown as Page;
    expect(bySlot.entries.map((e) => e.action)).toEqual(['CreateSecret']);
    const byAction = (await h.call('GET', '/v1/ignite/audit?action=GetSecret', { token: admin }))
      .json as unknown as Page;
    expect(byAction.entries.map((e) => e.slot)).toEqual(['b']);
    const since = (
      await h.call('GET', `/v1/ignite/audit?action=CreateSecret&sinceMs=${t1}`, { token: admin })
    ).json as unknown as Page;
    expect(since.entries.map((e) => e.slot)).toEqual(['b']);
    const until = (
      await h.call('GET', `/v1/ignite/audit?action=CreateSecret&untilMs=${t1}`, { token: admin })
    ).json as unknown as Page;
    expect(until.entries.map((e) => e.slot)).toEqual(['a']);
  });

  test('pages with an opaque token until the end, and reading is itself audited', async () => {
    const h = await makeHarness();
    const admin = await h.token('acme', ALL_SCOPES);
    for (let i = 0; i < 5; i++) {
      await h.call('POST', '/v1/ignite/secrets', {
        token: admin,
        body: { name: `s${i}`, value: gitValue() },
      });
    }
    const seen: string[] = [];
    let pageToken = '';
    for (let i = 0; i < 10; i++) {
      const res = await h.call(
        'GET',
        `/v1/ignite/audit?action=CreateSecret&pageSize=2&pageToken=${pageToken}`,
        {
          token: admin,
        },
      );
      const page = res.json as unknown as Page;
      seen.push(...page.entries.map((e) => e.slot));
      pageToken = page.nextPageToken;
      if (pageToken === '') break;
    }
    expect(seen).toEqual(['s4', 's3', 's2', 's1', 's0']);
    const reads = (await h.call('GET', '/v1/ignite/audit?action=ReadAudit', { token: admin }))
      .json as unknown as Page;
    expect(reads.entries.length).toBeGreaterThanOrEqual(3);
  });

  test('bad filters and page tokens are INVALID_ARGUMENT; the API refuses a console cookie without a bearer', async () => {
    const h = await makeHarness();
    const admin = await h.token('acme', ALL_SCOPES);
    for (const q of ['slot=a%20b', 'action=%3Cx%3E', 'sinceMs=yesterday', 'pageToken=nope', 'pageSize=-1']) {
      const res = await h.call('GET', `/v1/ignite/audit?${q}`, { token: admin });
      expect(res.status, q).toBe(400);
      expect(res.json.code).toBe(3);
    }
    const cookieOnly = await h.call('GET', '/v1/ignite/audit', {
      headers: { cookie: 'dodil_session=anything' },
    });
    expect(cookieOnly.status).toBe(401);
  });
});
