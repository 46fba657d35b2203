import { ConfigError } from '../config';
import type { Env } from '../config';
import { parseTrustedProxies, proxyAwareClientAddress } from '../edge/client-address';
import type { ClientAddressOf } from '../edge/client-address';
import { DEFAULT_TOKEN_RATE } from '../throttle/token-rate';

/** `start` flags of issue 13's hardening (parsed with the others by `parseArgs`). */
export const HARDENING_OPTIONS = {
  'trusted-proxies': { type: 'string' },
  'token-rate': { type: 'string' },
  'audit-min-free-mb': { type: 'string' },
  'tls-min-version': { type: 'string' },
  'tls-ciphers': { type: 'string' },
} as const;

/** TLS protocol options of `start`. */
export interface TlsOptions {
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
}

/** `--tls-min-version` (`DODIL_TLS_MIN_VERSION`, default TLSv1.2; `1.2`/`1.3` accepted) and `--tls-ciphers` (`DODIL_TLS_CIPHERS`). */
export function tlsOptionsOf(
  values: { 'tls-min-version'?: string | undefined; 'tls-ciphers'?: string | undefined },
  env: Env,
): TlsOptions {
  const version = (values['tls-min-version'] ?? env.DODIL_TLS_MIN_VERSION ?? 'TLSv1.2').trim();
  const minVersion = /^(TLSv)?1\.2$/i.test(version)
    ? 'TLSv1.2'
    : /^(TLSv)?1\.3$/i.test(version)
      ? 'TLSv1.3'
      : undefined;
  if (minVersion === undefined) {
    throw new ConfigError(`--tls-min-version must be TLSv1.2 or TLSv1.3, got "${version.slice(0, 20)}"`);
  }
  const ciphers = values['tls-ciphers'] ?? env.DODIL_TLS_CIPHERS;
  return {
    minVersion,
    ...(ciphers === undefined || ciphers.trim() === '' ? {} : { ciphers: ciphers.trim() }),
  };
}

/** What the hardening flags resolve to. */
export interface HardeningSettings {
  /** Client address with X-Forwarded-For from trusted proxies; `undefined`: the socket peer. */
  clientAddressOf: ClientAddressOf | undefined;
  tokenRate: number;
  /** `undefined`: the default floor (64 MiB, less on a small file system). */
  auditMinFreeBytes: number | undefined;
}

function nonNegativeInt(text: string, flag: string): number {
  if (!/^\d{1,9}$/.test(text.trim()))
    throw new ConfigError(`${flag} must be a whole number ≥ 0, got "${text.slice(0, 40)}"`);
  return Number(text.trim());
}

/**
 * Resolves `--trusted-proxies` (`DODIL_TRUSTED_PROXIES`), `--token-rate`
 * (`DODIL_TOKEN_RATE`) and `--audit-min-free-mb` (`DODIL_AUDIT_MIN_FREE_MB`).
 */
export function hardeningSettings(
  values: {
    'trusted-proxies'?: string | undefined;
    'token-rate'?: string | undefined;
    'audit-min-free-mb'?: string | undefined;
  },
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
      floor === undefined ? undefined : nonNegativeInt(floor, '--audit-min-free-mb') * 1024 * 1024,
  };
}
