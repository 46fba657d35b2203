import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { createApp } from '../../src/app';
import type { Logger } from '../../src/edge/logger';
import { openPgRuntime, openRuntime } from '../../src/runtime';
import type { RuntimeOptions } from '../../src/runtime';
import { currentEngine, psqlDatabase } from './engine';
import { pgTestDatabase } from './pg';

type IntegrityFailure = Parameters<NonNullable<RuntimeOptions['onIntegrityFailure']>>[0];
import type { Runtime } from '../../src/runtime';
import { consoleDepsOf } from '../../src/ui/console-wiring';
import { withRequestMetrics } from '../../src/metrics/access-metrics';
import type { ServerMetrics } from '../../src/metrics/metrics';
import { openApiMismatch } from './openapi-check';

/**
 * A fixed, random-looking 32-byte key for tests (a hash of the seed): the
 * server refuses obviously weak master keys (32 equal bytes…) for new stores.
 */
export function testKey(seed: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`dodil-test-key-${seed}`).digest());
}

/** testKey as DODIL_MASTER_KEY wants it (base64). */
export const testKeyB64 = (seed: number): string => Buffer.from(testKey(seed)).toString('base64');

/** A fixed test master key (tests only). */
export const TEST_MASTER_KEY = testKey(7);

/** A temp dir removed when the test ends. */
export function tempDir(prefix = 'dodil-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A settable clock for tests. */
export interface TestClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

/** A clock starting at a fixed instant. */
export function testClock(start = 1_760_000_000_000): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** Log lines captured as text, to check that nothing secret reaches them. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (e) => lines.push(JSON.stringify(e)),
    error: (e) => lines.push(JSON.stringify(e)),
  };
}

/** Options of {@link makeHarness}. */
export interface HarnessOptions {
  clock?: TestClock;
  dir?: string;
  /** Mark console cookies Secure (as under TLS). */
  secureCookies?: boolean;
  /** Counts every access-log line and audit entry into these metrics (docs/contract.md#operating-it). */
  metrics?: ServerMetrics;
  /** The SQLite WAL's fsync (to hold or fail it); `fs.fsync` by default. */
  walFsync?: RuntimeOptions['walFsync'];
}

/** A fresh data dir, runtime and REST app, closed when the test ends. */
export async function makeHarness(options: HarnessOptions = {}) {
  const dir = options.dir ?? tempDir();
  const clock = options.clock ?? testClock();
  const captured = captureLogger();
  const { metrics } = options;
  const logger = metrics ? { ...withRequestMetrics(captured, metrics), lines: captured.lines } : captured;
  const settings = {
    masterKey: TEST_MASTER_KEY,
    clock,
    onIntegrityFailure: (e: IntegrityFailure) =>
      logger.error({ msg: 'slot failed its integrity check', ...e }),
    ...(metrics ? { security: { auditObserver: metrics.audit } } : {}),
    ...(options.walFsync ? { walFsync: options.walFsync } : {}),
  };
  // The engine of this test file (test/support/engine.ts): the same suite runs on both.
  const runtime: Runtime =
    currentEngine() === 'postgres'
      ? await (async () => {
          const url = await pgTestDatabase();
          return { ...(await openPgRuntime(url, settings)), db: psqlDatabase(url) };
        })()
      : await openRuntime({ ...settings, databaseFile: join(dir, 'dodil.db') });
  onTestFinished(() => runtime.close());
  metrics?.watchReadiness(runtime.readiness);
  const app = createApp({
    secrets: runtime.secrets,
    auditQuery: runtime.auditQuery,
    console: consoleDepsOf(runtime, { secureCookies: options.secureCookies ?? false, logger }),
    tokens: runtime.tokens,
    exchange: runtime.exchange,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    readiness: runtime.readiness,
    logger,
  });

  /** Creates an org (if needed) and a token with the given scopes. */
  async function token(
    org = 'acme',
    scopes: readonly string[] = SCOPES,
    extra: { expiresInMs?: number } = {},
  ) {
    if ((await runtime.stores.orgs.getByName(org)) === undefined) await runtime.admin.createOrg(org);
    return (await runtime.admin.createToken({ org, scopes, ...extra })).token;
  }

  /** One request through the app, with JSON in and out. */
  async function call(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    // Every answer must match /openapi.json (docs/contract.md#operating-it), whatever the test checks next.
    const mismatch = method === 'HEAD' ? [] : openApiMismatch(method, path, res.status, text);
    if (mismatch.length > 0) throw new Error(`answer does not match /openapi.json: ${mismatch.join('; ')}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json: json as Record<string, unknown>, text, headers: res.headers };
  }

  return { dir, clock, logger, runtime, app, token, call };
}

/** A git value for CreateSecret. */
export const gitValue = (username = 'octo', token = 'ghp_testtoken') => ({ gitSecret: { username, token } });

/** A registry value for CreateSecret. */
export const registryValue = (serverAddress = 'ghcr.io', username = 'bot', password = 'reg-pass') => ({
  registrySecret: { username, password, serverAddress },
});
