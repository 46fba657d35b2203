import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createApp } from '../../src/app';
import {
  clientAddressBehind,
  parseTrustedProxies,
  proxyAwareClientAddress,
} from '../../src/edge/client-address';
import { listen } from '../../src/edge/listen';
import { silentLogger } from '../../src/edge/logger';
import { openRuntime } from '../../src/runtime';
import { TEST_MASTER_KEY, tempDir, testClock } from '../support/harness';

const BAD = 'Bearer dodil_0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('issue 13 item 1: --trusted-proxies', () => {
  test.each([
    // peer, X-Forwarded-For, trusted, client address
    ['127.0.0.1', '198.51.100.7', '127.0.0.1/32', '198.51.100.7'],
    ['127.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2', '127.0.0.0/8,10.0.0.0/8', '198.51.100.7'],
    ['127.0.0.1', '198.51.100.7', '', '127.0.0.1'],
    ['192.0.2.1', '198.51.100.7', '127.0.0.1', '192.0.2.1'],
    ['::ffff:127.0.0.1', '198.51.100.7', '127.0.0.1', '198.51.100.7'],
    ['127.0.0.1', '10.0.0.2, 10.0.0.3', '127.0.0.1,10.0.0.0/8', '10.0.0.2'],
    ['127.0.0.1', 'garbage, 10.0.0.3', '127.0.0.1,10.0.0.0/8', '10.0.0.3'],
    ['::1', '2001:db8::5', '::1/128', '2001:db8::5'],
  ])('peer %s, X-Forwarded-For "%s", trusted "%s" → %s', (peer, xff, trusted, client) => {
    expect(clientAddressBehind(parseTrustedProxies(trusted), peer, xff)).toBe(client);
  });

  test.each(['10.0.0.0/33', 'example.com', '10.0.0.1/8/9', '::1/129'])('"%s" is refused', (bad) => {
    expect(() => parseTrustedProxies(bad)).toThrow(RangeError);
  });

  test('over real HTTP behind a trusted proxy, each forwarded client has its own failure budget', async () => {
    const dir = tempDir();
    const clock = testClock();
    const runtime = await openRuntime({
      databaseFile: join(dir, 'dodil.db'),
      masterKey: TEST_MASTER_KEY,
      clock,
    });
    const clientAddressOf = proxyAwareClientAddress(parseTrustedProxies('127.0.0.1/32'));
    const app = createApp({
      secrets: runtime.secrets,
      auth: runtime.auth,
      isReady: async () => true,
      logger: silentLogger,
      clientAddressOf,
    });
    const server = await listen({
      fetch: app.fetch,
      host: '127.0.0.1',
      port: 0,
      rpc: { secrets: runtime.secrets, auth: runtime.auth, logger: silentLogger, clientAddressOf },
    });
    try {
      const call = async (xff: string) =>
        (
          await fetch(`${server.url}/v1/ignite/secrets`, {
            headers: { authorization: BAD, 'x-forwarded-for': xff },
          })
        ).status;
      for (let i = 0; i < 10; i++) expect(await call('198.51.100.1')).toBe(401);
      expect(await call('198.51.100.1')).toBe(429);
      // Another client behind the same proxy is a different address.
      expect(await call('198.51.100.2')).toBe(401);
      // A client can't pick its address by writing its own X-Forwarded-For entry further left.
      expect(await call('198.51.100.2, 198.51.100.1')).toBe(429);
      const addresses = (await runtime.audit.list({ limit: 100 })).map((e) => e.clientAddress);
      expect(new Set(addresses)).toEqual(new Set(['198.51.100.1', '198.51.100.2']));
    } finally {
      await server.close(200);
      await runtime.close();
    }
  });
});
