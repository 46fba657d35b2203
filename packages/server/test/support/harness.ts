import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { createApp } from '../../src/app';
import type { Logger } from '../../src/edge/logger';
import { openRuntime } from '../../src/runtime';
import type { Runtime } from '../../src/runtime';

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
}

/** A fresh data dir, runtime and REST app, closed when the test ends. */
export async function makeHarness(options: HarnessOptions = {}) {
  const dir = options.dir ?? tempDir();
  const clock = options.clock ?? testClock();
  const logger = captureLogger();
  const runtime: Runtime = await openRuntime({
    databaseFile: join(dir, 'dodil.db'),
    masterKey: TEST_MASTER_KEY,
    clock,
    onIntegrityFailure: (e) => logger.error({ msg: 'slot failed its integrity check', ...e }),
  });
  onTestFinished(() => runtime.close());
  const app = createApp({
    secrets: runtime.secrets,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    logger,
  });

  /** Creates an org (if needed) and a token with the given scopes. */
  async function token(org = 'acme', scopes: readonly string[] = SCOPES, extra: { expiresInMs?: number } = {}) {
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
