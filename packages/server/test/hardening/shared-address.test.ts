import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/edge/logger';
import { FailureLimiter } from '../../src/throttle/failure-limiter';
import { makeHarness, testClock } from '../support/harness';

const BAD = 'Bearer dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

async function world() {
  const h = await makeHarness();
  const token = await h.token();
  const app = createApp({
    secrets: h.runtime.secrets,
    auth: h.runtime.auth,
    isReady: () => h.runtime.isReady(),
    logger: silentLogger,
    clientAddressOf: (env) => (env as { addr?: string } | undefined)?.addr ?? 'unknown',
  });
  const list = async (addr: string, authorization: string) => {
    const res = await app.request('/v1/ignite/secrets', { headers: { authorization } }, { addr });
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };
  return { h, token, list };
}

describe('issue 13 item 1: one bad client behind a shared address locks nobody out', () => {
  test('the reproduction: a bad request every 100 ms for 75 s beside a valid client; every valid call is served', async () => {
    const { h, token, list } = await world();
    const statuses = { valid: new Map<number, number>(), bad: new Map<number, number>() };
    const bump = (m: Map<number, number>, s: number) => m.set(s, (m.get(s) ?? 0) + 1);
    for (let tick = 0; tick < 750; tick++) {
      bump(statuses.bad, (await list('203.0.113.9', BAD)).status);
      if (tick % 2 === 0) bump(statuses.valid, (await list('203.0.113.9', `Bearer ${token}`)).status);
      h.clock.advance(100);
    }
    // Before the fix: 4 × 200 and 289 × 429 (issue 13) — here 375 × 200 and nothing else.
    expect([...statuses.valid]).toEqual([[200, 375]]);
    // The failing client is still refused once over the limit.
    expect(statuses.bad.get(429)).toBeGreaterThan(600);
    expect(statuses.bad.get(401)).toBeLessThanOrEqual(10 * 8);
  });

  test('a blocked address stays blocked while 10,005 one-off addresses fail (the table cannot be reset by spraying)', async () => {
    const { list } = await world();
    for (let i = 0; i < 10; i++) expect((await list('198.51.100.1', BAD)).status).toBe(401);
    expect((await list('198.51.100.1', BAD)).status).toBe(429);
    // In batches, so their audit entries share group commits.
    for (let i = 0; i < 10_005; i += 100) {
      const batch = Array.from({ length: Math.min(100, 10_005 - i) }, (_, j) => i + j);
      await Promise.all(batch.map((n) => list(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, BAD)));
    }
    expect((await list('198.51.100.1', BAD)).status).toBe(429);
  }, 120_000);

  test('the limiter forgets counting addresses before blocked ones', () => {
    const clock = testClock();
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 60_000, maxAddresses: 5 }, clock);
    for (let i = 0; i < 3; i++) limiter.fail('blocked');
    for (let i = 0; i < 100; i++) limiter.fail(`one-off-${i}`);
    expect([limiter.size, limiter.blockedSize, limiter.retryAfterSeconds('blocked')]).toEqual([5, 1, 60]);
    clock.advance(60_000);
    expect(limiter.retryAfterSeconds('blocked')).toBe(0);
  });
});
