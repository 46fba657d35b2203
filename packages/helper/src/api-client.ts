import {
  grpcCodeForHttpStatus,
  grpcCodeName,
  isSlotName,
  SLOT_NAME_RULE,
  type GrpcCodeName,
} from '@dodil/shared';
import { CliError, oneLine } from './errors';
import { isTransportError, type HttpRequest, type Transport } from './http/transport';
import { VERSION } from './version';
import type { OidcSettings } from './oidc/oidc-settings';
import { createOidcTokenSource } from './oidc/token-source';
import type {
  CreateSecretResponse,
  GetSecretResponse,
  ListSecretsResponse,
  RegistrySecretsResponse,
  WireValidators,
} from './wire/types';

/** Where and how to reach the server. */
export interface ServerSettings {
  url: string;
  token: string | undefined;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Extra trusted CA certificates (PEM) for an https server, from --ca-file / DODIL_CA_FILE. */
  ca?: string | undefined;
  /** Where {@link ca} came from, for messages. */
  caFile?: string | undefined;
  /** Without a token: exchange a CI job's OIDC JWT for one (docs/contract.md#least-privilege). */
  oidc?: OidcSettings | undefined;
}

/** The value sent to CreateSecret (camelCase, as the server renders it). */
export type SecretValueInput =
  | { gitSecret: { username: string; token: string } }
  | { registrySecret: { username: string; password: string; serverAddress: string } };

/** The server's REST API, every answer validated. Errors are {@link CliError}s carrying the gRPC code. */
export interface ApiClient {
  readonly url: string;
  createSecret(name: string, value: SecretValueInput): Promise<CreateSecretResponse>;
  getSecret(name: string): Promise<GetSecretResponse>;
  listSecrets(page: { pageSize?: number; pageToken?: string }): Promise<ListSecretsResponse>;
  deleteSecret(name: string): Promise<void>;
  /** Our extension: the org's registry slots whose server address matches `host` (all without it). */
  registrySecrets(host?: string): Promise<RegistrySecretsResponse>;
}

/** Builds a client; `validators` decides how answers are checked (see wire/types.ts). */
export function createApiClient(
  settings: ServerSettings,
  transport: Transport,
  validators: WireValidators,
): ApiClient {
  const base = settings.url.replace(/\/+$/, '');
  const oidc =
    settings.token || settings.oidc === undefined
      ? undefined
      : createOidcTokenSource({
          ...settings,
          settings: settings.oidc,
          serverUrl: base,
          transport,
          now: () => Date.now(),
        });

  async function call<T>(
    method: HttpRequest['method'],
    path: string,
    check: (data: unknown) => T,
    body?: unknown,
  ): Promise<T> {
    if (oidc === undefined) return callWith(settings.token, method, path, check, body);
    const token = await oidc.get();
    try {
      return await callWith(token, method, path, check, body);
    } catch (error) {
      // The server refused the cached token (revoked, or its clock is ahead): drop it and
      // exchange once more.
      if (!(error instanceof CliError && error.code === 'UNAUTHENTICATED')) throw error;
      oidc.drop();
      return callWith(await oidc.get(), method, path, check, body);
    }
  }

  async function callWith<T>(
    token: string | undefined,
    method: HttpRequest['method'],
    path: string,
    check: (data: unknown) => T,
    body?: unknown,
  ): Promise<T> {
    if (!token) {
      throw new CliError(
        'UNAUTHENTICATED',
        'no token: run `dodil login --url URL --token TOKEN` or set DODIL_TOKEN',
      );
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': `dodil/${VERSION}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await transport({
        method,
        url: base + path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs: settings.timeoutMs,
        connectTimeoutMs: settings.connectTimeoutMs,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      });
    } catch (error) {
      if (isTransportError(error)) {
        const code: GrpcCodeName =
          error.failure === 'timeout'
            ? 'DEADLINE_EXCEEDED'
            : error.failure === 'unreachable'
              ? 'UNAVAILABLE'
              : 'UNKNOWN';
        throw new CliError(code, error.message);
      }
      throw error;
    }
    let data: unknown;
    try {
      data = response.body === '' ? {} : JSON.parse(response.body);
    } catch {
      data = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      if (data === undefined) throw unexpected(`HTTP ${response.status} with a body that is not JSON`);
      try {
        return check(data);
      } catch {
        throw unexpected(`HTTP ${response.status} with a body that does not match the API`);
      }
    }
    const errorBody = data === undefined ? undefined : validators.errorBody(data);
    const fromStatus = grpcCodeForHttpStatus(response.status);
    if (errorBody) {
      const named = grpcCodeName(errorBody.code);
      const code = named === 'OK' || named === 'UNKNOWN' ? fromStatus : named;
      throw new CliError(code, oneLine(errorBody.message) || `HTTP ${response.status}`);
    }
    throw new CliError(fromStatus, `server at ${base} answered HTTP ${response.status}`);
  }

  function unexpected(what: string): CliError {
    return new CliError('UNKNOWN', `unexpected answer from ${base}: ${what} (is this a dodil server?)`);
  }

  // Checked here, once for every caller (--slot, mappings, resolve): a name like ".." would
  // otherwise become another path once the URL is normalised.
  const secretPath = (name: string) => {
    if (!isSlotName(name))
      throw new CliError('INVALID_ARGUMENT', `invalid slot name ${JSON.stringify(name)}: ${SLOT_NAME_RULE}`);
    return `/v1/ignite/secrets/${encodeURIComponent(name)}`;
  };

  return {
    url: base,
    createSecret: (name, value) =>
      call('POST', '/v1/ignite/secrets', validators.createSecret, { name, value }),
    getSecret: (name) => call('GET', secretPath(name), validators.getSecret),
    listSecrets: ({ pageSize, pageToken }) => {
      const q = new URLSearchParams();
      if (pageSize !== undefined) q.set('pageSize', String(pageSize));
      if (pageToken) q.set('pageToken', pageToken);
      const qs = q.toString();
      return call('GET', `/v1/ignite/secrets${qs ? `?${qs}` : ''}`, validators.listSecrets);
    },
    deleteSecret: (name) => call('DELETE', secretPath(name), validators.deleteSecret),
    registrySecrets: (host) =>
      call(
        'GET',
        `/v1/ignite/registry-secrets${host === undefined ? '' : `?host=${encodeURIComponent(host)}`}`,
        validators.registrySecrets,
      ),
  };
}
