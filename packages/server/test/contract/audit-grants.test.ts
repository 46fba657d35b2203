import { expect, test } from 'vitest';
import { ALL_SCOPES } from '@dodil/shared';
import { createAuditQueryService } from '../../src/audit/audit-query-service';
import type { CallContext } from '../../src/services/context';
import { gitValue, makeHarness } from '../support/harness';

test('entries a token may not see are skipped without breaking paging', async () => {
  const h = await makeHarness();
  const admin = await h.token('acme', ALL_SCOPES);
  for (let i = 0; i < 12; i++) {
    await h.call('POST', '/v1/ignite/secrets', {
      token: admin,
      body: { name: i % 3 === 0 ? `gh-${i}` : `other-${i}`, value: gitValue() },
    });
  }
  const principal = await h.runtime.auth.authenticate(`Bearer ${admin}`, '127.0.0.1');
  const ctx: CallContext = { principal, requestId: 'r', clientAddress: '127.0.0.1' };
  // As a grant of `gh-*` would: only gh- slots, and no slot-less entries.
  const service = createAuditQueryService(
    h.runtime.audit,
    h.clock,
    (_p, slot) => slot !== undefined && slot.startsWith('gh-'),
  );
  const seen: string[] = [];
  let pageToken = '';
  for (let i = 0; i < 10; i++) {
    const page = await service.list(ctx, { pageSize: 1, pageToken });
    seen.push(...page.entries.map((e) => `${e.action}:${e.slot ?? ''}`));
    pageToken = page.nextPageToken;
    if (pageToken === '') break;
  }
  expect(seen).toEqual(['CreateSecret:gh-9', 'CreateSecret:gh-6', 'CreateSecret:gh-3', 'CreateSecret:gh-0']);
});

test('GET /v1/ignite/audit: a token with grants sees only its granted slots entries, none without a slot', async () => {
  const h = await makeHarness();
  const admin = await h.token('acme', ALL_SCOPES);
  for (const name of ['gh-a', 'npm', 'gh-b']) {
    await h.call('POST', '/v1/ignite/secrets', { token: admin, body: { name, value: gitValue() } });
  }
  await h.call('GET', '/v1/ignite/secrets', { token: admin });
  const granted = (await h.runtime.admin.createToken({ org: 'acme', scopes: ['ReadAudit'], slots: ['gh-*'] }))
    .token;
  const res = await h.call('GET', '/v1/ignite/audit', { token: granted });
  expect(res.status).toBe(200);
  const entries = res.json.entries as Array<{ action: string; slot: string }>;
  expect(entries.map((e) => `${e.action}:${e.slot}`)).toEqual(['CreateSecret:gh-b', 'CreateSecret:gh-a']);
  const all = (await h.call('GET', '/v1/ignite/audit', { token: admin })).json.entries as unknown[];
  expect(all.length).toBeGreaterThan(entries.length + 2);
});
