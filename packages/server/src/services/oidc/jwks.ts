import { isIP } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, customFetch } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';

/** Limits on fetching an issuer's key set (docs/contract.md#least-privilege). */
export interface JwksLimits {
  /** Whole fetch, headers and body (default 2 s). */
  timeoutMs: number;
  /** Largest key set accepted (default 256 KiB: real ones are a few KiB). */
  maxBytes: number;
  /** An unknown `kid` refetches at most this often (default 30 s). */
  cooldownMs: number;
  /** Keys are refetched after this age even when every kid is known (default 10 min). */
  maxAgeMs: number;
}

/** The documented defaults. */
export const DEFAULT_JWKS_LIMITS: JwksLimits = {
  timeoutMs: 2_000,
  maxBytes: 256 * 1024,
  cooldownMs: 30_000,
  maxAgeMs: 600_000,
};

/** How the server fetches (global fetch in production; injected so tests and main.ts decide). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const isLoopbackHost = (host: string): boolean => {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
};

/**
 * Why a JWKS URL is refused, or undefined when it is fine: https, or http only
 * on a loopback address (a key set fetched in clear could be swapped in flight).
 */
export function jwksUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the JWKS URL is not a URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'the JWKS URL must not carry credentials';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return undefined;
  return 'the JWKS URL must be https (plain http only on a loopback address)';
}

/** Reads at most `max` bytes of a body; throws past it (a 5 MB answer never sits in memory whole). */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`the key set is larger than ${max} bytes`);
  }
  // Node types a fetch body as ReadableStream<any>; its chunks are bytes.
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (reader === undefined) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`the key set is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * A remote key set: jose's `createRemoteJWKSet` (cooldown, max age, no
 * redirects) over our fetch, which caps the body size. Keys come only from
 * this URL, never from one a token names.
 */
export function remoteKeySource(
  url: string,
  fetchImpl: FetchLike,
  limits: JwksLimits = DEFAULT_JWKS_LIMITS,
): JWTVerifyGetKey {
  const problem = jwksUrlProblem(url);
  if (problem !== undefined) throw new Error(problem);
  const capped = async (input: string, init: RequestInit): Promise<Response> => {
    const res = await fetchImpl(input, { ...init, redirect: 'manual' });
    if (res.status !== 200) {
      await res.body?.cancel();
      return new Response(null, { status: res.status });
    }
    const body = await readCapped(res, limits.maxBytes);
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return createRemoteJWKSet(new URL(url), {
    timeoutDuration: limits.timeoutMs,
    cooldownDuration: limits.cooldownMs,
    cacheMaxAge: limits.maxAgeMs,
    [customFetch]: capped,
  });
}

/** A key set given as JSON (`--jwks-file`). Throws when it is not a key set. */
export function localKeySource(json: string): JWTVerifyGetKey {
  const parsed = JSON.parse(json) as JSONWebKeySet;
  return createLocalJWKSet(parsed);
}
