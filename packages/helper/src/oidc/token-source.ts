import { readFileSync } from 'node:fs';
import { CliError } from '../errors';
import { isTransportError } from '../http/transport';
import type { Transport } from '../http/transport';
import type { OidcSettings } from './oidc-settings';
import type * as TokenCache from './token-cache';

/** Where the API client gets its token from when it exchanges by itself. */
export interface TokenSource {
  /** A minted token: from the cache, or exchanged now (once for helpers running in parallel). */
  get(): Promise<string>;
  /** Drops the cached token (the server answered 401 with it). */
  drop(): void;
}

/** What {@link createOidcTokenSource} needs. */
export interface TokenSourceDeps {
  settings: OidcSettings;
  /** The dodil server's base URL (no trailing slash). */
  serverUrl: string;
  transport: Transport;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** A private CA (--ca-file / DODIL_CA_FILE) trusted for https, as for every other request. */
  ca?: string | undefined;
  now: () => number;
}

const fail = (message: string) => new CliError('UNAUTHENTICATED', message);

/** The unverified `iss` and `sub` of a JWT, for the cache key only (the server verifies it). */
function claimsOf(jwt: string): { iss: string; sub: string } {
  const part = jwt.split('.')[1];
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  } catch {
    throw fail('the OIDC token is not a JWT');
  }
  const p = (payload ?? {}) as { iss?: unknown; sub?: unknown };
  if (typeof p.iss !== 'string') throw fail('the OIDC token has no "iss" claim');
  return { iss: p.iss, sub: typeof p.sub === 'string' ? p.sub : '' };
}

/** Creates the OIDC {@link TokenSource}. */
export function createOidcTokenSource(deps: TokenSourceDeps): TokenSource {
  const { settings } = deps;
  let lastFile: string | undefined;
  let cache: typeof TokenCache | undefined;

  async function request(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body?: string,
  ) {
    try {
      return await deps.transport({
        method,
        url,
        headers,
        ...(body === undefined ? {} : { body }),
        timeoutMs: deps.timeoutMs,
        connectTimeoutMs: deps.connectTimeoutMs,
        ...(deps.ca === undefined ? {} : { ca: deps.ca }),
      });
    } catch (error) {
      if (isTransportError(error)) {
        throw new CliError(error.failure === 'timeout' ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE', error.message);
      }
      throw error;
    }
  }

  /** The job's JWT, fresh each call (a projected token file rotates; GitHub's are per request). */
  async function subjectToken(): Promise<string> {
    const source = settings.source;
    if (source.kind === 'token') return source.jwt;
    if (source.kind === 'file') {
      try {
        return readFileSync(source.path, 'utf8').trim();
      } catch {
        throw fail(`cannot read DODIL_OIDC_TOKEN_FILE ${source.path}`);
      }
    }
    const url = new URL(source.requestUrl);
    url.searchParams.set('audience', source.audience);
    const res = await request('GET', url.toString(), {
      authorization: `bearer ${source.requestToken}`,
      accept: 'application/json',
    });
    let value: unknown;
    try {
      value = (JSON.parse(res.body) as { value?: unknown }).value;
    } catch {
      value = undefined;
    }
    if (res.status !== 200 || typeof value !== 'string') {
      throw fail(
        `the GitHub Actions OIDC token endpoint answered HTTP ${res.status} (does the job have "permissions: id-token: write"?)`,
      );
    }
    return value;
  }

  async function exchange(jwt: string): Promise<{ token: string; expiresAtMs: number }> {
    const body = JSON.stringify({
      org: settings.org,
      subjectToken: jwt,
      ...(settings.trust ? { trust: settings.trust } : {}),
    });
    const res = await request(
      'POST',
      `${deps.serverUrl}/v1/ignite/token:exchange`,
      { 'content-type': 'application/json', accept: 'application/json' },
      body,
    );
    let data: { token?: unknown; expiresAtMs?: unknown } = {};
    try {
      data = JSON.parse(res.body) as typeof data;
    } catch {
      // handled below
    }
    if (res.status === 429)
      throw new CliError(
        'RESOURCE_EXHAUSTED',
        'the server throttles this address after failed authentications',
      );
    if (res.status !== 200 || typeof data.token !== 'string' || typeof data.expiresAtMs !== 'string') {
      throw fail(
        `the server refused the OIDC token exchange for org ${settings.org} (HTTP ${res.status}); an operator can see why with \`dodil-server trust test\``,
      );
    }
    return { token: data.token, expiresAtMs: Number(data.expiresAtMs) };
  }

  return {
    async get() {
      // Loaded here, not at start: its node:crypto costs ~2 ms of every helper start, and only a
      // CI job without a token (OIDC) ever gets here.
      cache ??= await import('./token-cache');
      const { cacheFile, ensurePrivateDir, readCached, withLock, writeCached } = cache;
      const jwt = await subjectToken();
      const { iss, sub } = claimsOf(jwt);
      try {
        ensurePrivateDir(settings.cacheDir);
      } catch (err) {
        throw fail(`cannot use the token cache directory: ${(err as Error).message}`);
      }
      const file = cacheFile(settings.cacheDir, {
        server: deps.serverUrl,
        org: settings.org,
        issuer: iss,
        subject: sub,
        trust: settings.trust ?? '',
      });
      lastFile = file;
      const cached = readCached(file, deps.now());
      if (cached !== undefined) return cached.token;
      return withLock(file, async () => {
        // Another helper may have exchanged while we waited for the lock.
        const again = readCached(file, deps.now());
        if (again !== undefined) return again.token;
        const minted = await exchange(jwt);
        writeCached(file, minted);
        return minted.token;
      });
    },
    drop() {
      if (lastFile !== undefined) cache?.dropCached(lastFile);
    },
  };
}
