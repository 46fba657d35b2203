import { join } from 'node:path';
import { ALL_SCOPES } from '@dodil/shared';
import { onTestFinished } from 'vitest';
import { createApp } from '../../../src/app';
import { openRuntime } from '../../../src/runtime';
import type { TrustInput } from '../../../src/services/oidc/trust-service';
import type { JwksLimits } from '../../../src/services/oidc/jwks';
import { TEST_MASTER_KEY, captureLogger, tempDir, testClock } from '../../support/harness';

/** A runtime and REST app with the exchange mounted, real fetch, and a settable clock. */
export async function startOidcWorld(options: { jwksLimits?: Partial<JwksLimits>; start?: number } = {}) {
  const dir = tempDir();
  const clock = testClock(options.start ?? 1_760_000_000_000);
  const logger = captureLogger();
  const runtime = await openRuntime({
    databaseFile: join(dir, 'dodil.db'),
    masterKey: TEST_MASTER_KEY,
    clock,
    ...(options.jwksLimits ? { jwksLimits: options.jwksLimits } : {}),
    onExchangeRefused: (e) => logger.info({ msg: 'token exchange refused', ...e }),
  });
  onTestFinished(() => runtime.close());
  const app = createApp({
    secrets: runtime.secrets,
    tokens: runtime.tokens,
    exchange: runtime.exchange,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    logger,
  });
  for (const org of ['acme', 'other']) await runtime.admin.createOrg(org);
  const admin = await runtime.admin.createToken({ org: 'acme', scopes: ALL_SCOPES });

  async function trust(input: Partial<TrustInput> & { issuer: string }) {
    return runtime.trusts.create({
      org: 'acme',
      name: 'gha',
      audience: 'dodil',
      claims: {},
      scopes: ['GetSecret', 'ListSecrets'],
      ...input,
    });
  }

  async function exchange(body: unknown, address = '10.0.0.1') {
    const res = await app.request(
      '/v1/ignite/token:exchange',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
        body: JSON.stringify(body),
      },
      { incoming: { socket: { remoteAddress: address } } },
    );
    const text = await res.text();
    return {
      status: res.status,
      json: JSON.parse(text) as Record<string, unknown>,
      text,
      headers: res.headers,
    };
  }

  const nowSeconds = () => Math.floor(clock() / 1000);
  return { dir, clock, logger, runtime, app, admin, trust, exchange, nowSeconds };
}

/** A started OIDC world. */
export type OidcWorld = Awaited<ReturnType<typeof startOidcWorld>>;
