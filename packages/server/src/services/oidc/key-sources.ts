import type { JWTVerifyGetKey } from 'jose';
import type { TrustRecord } from '../../storage/types';
import { DEFAULT_JWKS_LIMITS, localKeySource, remoteKeySource } from './jwks';
import type { FetchLike, JwksLimits } from './jwks';

/** Trusts' key sets, built once per trust and kept (so the remote cache and cooldown hold). */
export interface KeySources {
  keysOf(trust: TrustRecord): JWTVerifyGetKey;
}

/** Most trusts' key sets kept at once; past it the cache starts over (bounded, simple). */
const MAX_SOURCES = 1_000;

/** Creates {@link KeySources} over a fetch. */
export function createKeySources(fetchImpl: FetchLike, limits: Partial<JwksLimits> = {}): KeySources {
  const all = { ...DEFAULT_JWKS_LIMITS, ...limits };
  const cache = new Map<string, JWTVerifyGetKey>();
  return {
    keysOf(trust) {
      // Keyed by what the key set comes from too: a trust deleted and re-created differently
      // under the same id can't be served the old keys.
      const key = `${trust.id}\0${trust.jwksUrl ?? ''}\0${trust.jwksJson ?? ''}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const source =
        trust.jwksUrl !== undefined
          ? remoteKeySource(trust.jwksUrl, fetchImpl, all)
          : localKeySource(trust.jwksJson ?? '{}');
      if (cache.size >= MAX_SOURCES) cache.clear();
      cache.set(key, source);
      return source;
    },
  };
}
