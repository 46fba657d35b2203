import { ConfigError } from '../config';
import type { Env } from '../config';
import { parseTrustedProxies, proxyAwareClientAddress } from '../http/client-address';
import type { ClientAddressOf } from '../http/middleware';
import { DEFAULT_AUDIT_MIN_FREE_BYTES } from '../ops/secure-services';
import { DEFAULT_TOKEN_RATE } from '../throttle/token-rate';

/** `start` flags of issue 13's hardening (parsed with the others by `parseArgs`). */
export const HARDENING_OPTIONS = {
  'trusted-proxies': { type: 'string' },
  'token-rate': { type: 'string' },
  'audit-min-free-mb': { type: 'string' },
} as const;

/** What the hardening flags resolve to. */
export interface HardeningSettings {
  /** Client address with X-Forwarded-For from trusted proxies; `undefined`: the socket peer. */
  clientAddressOf: ClientAddressOf | undefined;
  tokenRate: number;
  auditMinFreeBytes: number;
}

function nonNegativeInt(text: string, flag: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw new ConfigError(`${flag} must be a whole number ≥ 0, got "${text.slice(0, 40)}"`);
  return Number(text.trim());
}

/**
 * Resolves `--trusted-proxies` (`DODIL_TRUSTED_PROXIES`), `--token-rate`
 * (`DODIL_TOKEN_RATE`) and `--audit-min-free-mb` (`DODIL_AUDIT_MIN_FREE_MB`).
 */
export function hardeningSettings(
  values: { 'trusted-proxies'?: string | undefined; 'token-rate'?: string | undefined; 'audit-min-free-mb'?: string | undefined },
  env: Env,
): HardeningSettings {
  const proxies = values['trusted-proxies'] ?? env.DODIL_TRUSTED_PROXIES;
  let clientAddressOf: ClientAddressOf | undefined;
  if (proxies !== undefined && proxies.trim() !== '') {
    try {
      clientAddressOf = proxyAwareClientAddress(parseTrustedProxies(proxies));
    } catch (err) {
      throw new ConfigError(`--trusted-proxies: ${(err as Error).message}`);
    }
  }
  const rate = values['token-rate'] ?? env.DODIL_TOKEN_RATE;
  const floor = values['audit-min-free-mb'] ?? env.DODIL_AUDIT_MIN_FREE_MB;
  return {
    clientAddressOf,
    tokenRate: rate === undefined ? DEFAULT_TOKEN_RATE : nonNegativeInt(rate, '--token-rate'),
    auditMinFreeBytes:
      floor === undefined ? DEFAULT_AUDIT_MIN_FREE_BYTES : nonNegativeInt(floor, '--audit-min-free-mb') * 1024 * 1024,
  };
}
