import { readFileSync } from 'node:fs';
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
 * then the config file; `DODIL_TIMEOUT_MS` sets the total timeout (connect: at most 2 s);
 * `--ca-file` / `DODIL_CA_FILE` / the config's `caFile` adds a trusted CA for an https server.
 */
export function resolveSettings(
  flags: { url?: string | undefined; token?: string | undefined; caFile?: string | undefined },
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
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they may not reach a header
  if (token !== undefined && /[\s\0-\x1f\x7f]/.test(token)) {
    throw usageError(
      `the token from ${tokenSource === 'flag' ? '--token' : tokenSource === 'env' ? 'DODIL_TOKEN' : path} contains spaces or control characters`,
    );
  }
  const timeoutMs = parseTimeout(env.DODIL_TIMEOUT_MS);
  const ca = pick<string>(
    [flags.caFile, '--ca-file'],
    [env.DODIL_CA_FILE, 'DODIL_CA_FILE'],
    [config.caFile, `${path} caFile`],
  );
  // Read only for https: a plain-http server never needs it (and the hot path stays cheap).
  const caPem = ca !== undefined && /^https:/i.test(url) ? readCa(ca[0], ca[1]) : undefined;
  return {
    server: {
      url,
      token,
      timeoutMs,
      connectTimeoutMs: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
      ...(caPem === undefined ? {} : { ca: caPem, caFile: ca?.[0] }),
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
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const where = source === 'flag' ? '--url' : source === 'env' ? 'DODIL_URL' : 'the config file url';
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw usageError(
      `${where} must be an http:// or https:// URL such as ${DEFAULT_URL}, not ${JSON.stringify(url)}`,
    );
  }
  // A common slip: the API path copied from the docs. The URL is the server root.
  if (/^\/v1(\/|$)/i.test(parsed.pathname)) {
    throw usageError(
      `${where} is the server root, such as ${parsed.origin}, not an API path: drop ${JSON.stringify(parsed.pathname)}`,
    );
  }
}

// The CA file's certificates; a file that is missing or holds no PEM certificate is a usage error.
function readCa(file: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw usageError(
      `cannot read the CA file ${file} (from ${source}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw usageError(
      `the CA file ${file} (from ${source}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return text;
}

function parseTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_MS;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1) {
    throw usageError('DODIL_TIMEOUT_MS must be a whole number of milliseconds between 1 and 9999999');
  }
  return Number(raw);
}
