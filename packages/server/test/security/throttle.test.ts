import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/app';
import { silentLogger } from '../../src/edge/logger';
import { addressKey } from '../../src/throttle/address-key';
import { FailureLimiter } from '../../src/throttle/failure-limiter';
import { makeHarness, testClock } from '../support/harness';

const BAD = 'Bearer dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** The harness's runtime behind an app whose client address comes from the test. */
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
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as { code: number },
    };
  };
  return { h, token, list };
}

describe('failed-authentication throttle (10 per rolling minute per address)', () => {
  test('the 11th attempt from one address is 429 with Retry-After; another address is unaffected', async () => {
    const { h, token, list } = await world();
    for (let i = 0; i < 10; i++) expect((await list('10.0.0.1', BAD)).status).toBe(401);
    const throttled = await list('10.0.0.1', BAD);
    expect([throttled.status, throttled.body.code, throttled.retryAfter]).toEqual([429, 8, '60']);
    // A valid token is always served, whoever shares the address (docs/contract.md#server, issue 13 item 1).
    expect((await list('10.0.0.1', `Bearer ${token}`)).status).toBe(200);
    // Other clients: their own failures count for them alone, and good tokens work.
    expect((await list('10.0.0.2', BAD)).status).toBe(401);
    expect((await list('10.0.0.2', `Bearer ${token}`)).status).toBe(200);

    h.clock.advance(45_000);
    expect((await list('10.0.0.1', BAD)).retryAfter).toBe('15');
    h.clock.advance(15_000);
    // The window slid past the failures: the address may fail again without a 429.
    expect((await list('10.0.0.1', BAD)).status).toBe(401);
    // Identical failures are aggregated (issue 13 item 2): the first 401 and the first 429 of the
    // window; the next 401 (a new window) carries the count of the ones not logged individually.
    const failures = (await h.runtime.audit.list({ limit: 100 })).filter((e) => e.action === 'Authenticate');
    expect(failures.filter((e) => e.clientAddress === '10.0.0.1').map((e) => e.code)).toEqual([
      'UNAUTHENTICATED',
      'RESOURCE_EXHAUSTED',
      'UNAUTHENTICATED',
    ]);
  });

  test('an IPv6 client counts as its /64; IPv4-mapped IPv6 counts as the IPv4 address', async () => {
    const { list } = await world();
    for (let i = 0; i < 10; i++)
      expect((await list(`2001:db8:1:2::${(i + 1).toString(16)}`, BAD)).status).toBe(401);
    expect((await list('2001:db8:1:2:ffff::99', BAD)).status).toBe(429);
    expect((await list('2001:db8:1:3::1', BAD)).status).toBe(401);
    for (let i = 0; i < 10; i++) await list('192.0.2.7', BAD);
    expect((await list('::ffff:192.0.2.7', BAD)).status).toBe(429);
  });

  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0::/64'],
    ['2001:DB8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('address key of %s is %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  test('memory stays bounded under failures from many addresses', () => {
    const clock = testClock();
    const limiter = new FailureLimiter({ maxFailures: 10, windowMs: 60_000, maxAddresses: 100 }, clock);
    for (let i = 0; i < 5_000; i++) limiter.fail(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
    // The most recent addresses are the ones remembered.
    limiter.fail('10.1.19.135');
    expect(limiter.retryAfterSeconds('10.1.19.135')).toBe(0);
    for (let i = 0; i < 9; i++) limiter.fail('10.1.19.135');
    expect(limiter.retryAfterSeconds('10.1.19.135')).toBe(60);
    clock.advance(60_000);
    expect(limiter.retryAfterSeconds('10.1.19.135')).toBe(0);
  });
});
