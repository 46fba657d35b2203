import { configPath, loadConfig, type ClientConfig } from './config';
import { usageError } from './errors';
import type { ServerSettings } from './api-client';
import { platform } from 'node:os';
import { oidcSettingsFrom } from './oidc/oidc-settings';

/** The server URL used when neither flag, environment nor config names one. */
export const DEFAULT_URL = 'http://127.0.0.1:8700';
const DEFAULT_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 2000;

/** Everything a command needs to talk to the server, resolved once. */
export interface ClientSettings {
  server: ServerSettings;
  configPath: string;
  config: ClientConfig;
  /** Where the URL and token came from, for `resolve`/`login` messages. */
  urlSource: 'flag' | 'env' | 'config' | 'default';
  tokenSource: 'flag' | 'env' | 'config' | 'none';
}

/**
 * Resolves URL, token and timeouts: `--url`/`--token` flags, then `DODIL_URL`/`DODIL_TOKEN`,
 * then the config file; `DODIL_TIMEOUT_MS` sets the total timeout (connect: at most 2 s).
 */
export function resolveSettings(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): ClientSettings {
  const path = configPath(env);
  const config = loadConfig(path);
  const [url, urlSource] = pick<ClientSettings['urlSource']>(
    [flags.url, 'flag'],
    [env.DODIL_URL, 'env'],
    [config.url, 'config'],
  ) ?? [DEFAULT_URL, 'default'];
  const [token, tokenSource] = pick<ClientSettings['tokenSource']>(
    [flags.token, 'flag'],
    [env.DODIL_TOKEN, 'env'],
    [config.token, 'config'],
  ) ?? [undefined, 'none'];
  checkUrl(url, urlSource);
  if (token !== undefined && /[\s\0-\x1f\x7f]/.test(token)) {
    throw usageError(`the token from ${tokenSource === 'flag' ? '--token' : tokenSource === 'env' ? 'DODIL_TOKEN' : path} contains spaces or control characters`);
  }
  const timeoutMs = parseTimeout(env.DODIL_TIMEOUT_MS);
  return {
    server: {
      url,
      token,
      timeoutMs,
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
      // No token but DODIL_ORG set: exchange the CI job's OIDC JWT (oidc/).
      ...(token === undefined ? { oidc: oidcSettingsFrom(env, platform()) } : {}),
    },
    configPath: path,
    config,
    urlSource,
    tokenSource,
  };
}

function pick<S>(...candidates: Array<[string | undefined, S]>): [string, S] | undefined {
  for (const [value, source] of candidates) if (value !== undefined && value !== '') return [value, source];
  return undefined;
}

function checkUrl(url: string, source: ClientSettings['urlSource']): void {
  let ok = false;
  try {
    const parsed = new URL(url);
    ok = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) {
    const where = source === 'flag' ? '--url' : source === 'env' ? 'DODIL_URL' : 'the config file url';
    throw usageError(`${where} must be an http:// or https:// URL such as ${DEFAULT_URL}, not ${JSON.stringify(url)}`);
  }
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1) {
    throw usageError('DODIL_TIMEOUT_MS must be a whole number of milliseconds between 1 and 9999999');
  }
  return Number(raw);
}
