import { DOCKER_HUB_KEY, normaliseRegistryHost, serverUrlForKey } from '@dodil/shared';
import { createApiClient, type ApiClient } from '../api-client';
import { isCliError, oneLine } from '../errors';
import type { Io } from '../io';
import { resolveSettings, type ClientSettings } from '../settings';
import { liteValidators } from '../wire/lite';
import type { RegistrySlot } from '../wire/types';
import { dockerMappingFor } from './mapping';
import { CredentialsNotFound, DockerHelperError, type DockerCredentials } from './protocol';

/** A username and secret for a registry. */
export interface DockerSecret {
  username: string;
  secret: string;
}

/**
 * Where registry credentials live: the "backend" half of the docker helper,
 * docker-credential-helpers' `Helper` (Add, Delete, Get, List). It never
 * touches stdin/stdout; "no credential" is a {@link CredentialsNotFound},
 * any other failure a {@link DockerHelperError} (handler.ts prints them).
 */
export interface DockerBackend {
  get(serverUrl: string): Promise<DockerSecret>;
  store(credentials: DockerCredentials): Promise<void>;
  erase(serverUrl: string): Promise<void>;
  list(): Promise<Record<string, string>>;
}

/**
 * The dodil backend: `get` from the slot mapped to the host, else the org's
 * only registry slot for it; `store` rotates the mapped slot; `erase` never
 * deletes a slot; `list` maps addresses to usernames (`{}` on any failure, so
 * `docker build` is never broken by it).
 */
export function dodilDockerBackend(io: Io): DockerBackend {
  return {
    get: (serverUrl) => get(serverUrl, io),
    store: (credentials) => store(credentials, io),
    // docker logout must never delete the org's slot.
    erase: async () => undefined,
    list: () => list(io),
  };
}

function settingsOrNotFound(io: Io): ClientSettings {
  try {
    return resolveSettings({}, io.env);
  } catch (error) {
    throw new CredentialsNotFound(error instanceof Error ? error.message : String(error));
  }
}

async function get(serverUrl: string, io: Io): Promise<DockerSecret> {
  const key = normaliseRegistryHost(serverUrl);
  if (key === undefined)
    throw new CredentialsNotFound(`${JSON.stringify(oneLine(serverUrl, 100))} is not a registry host`);
  const settings = settingsOrNotFound(io);
  const client = createApiClient(settings.server, io.transport, liteValidators);
  const mapped = dockerMappingFor(settings.config.mappings.docker, key);
  if (mapped !== undefined) {
    const secret = await notFoundOnError(`slot "${mapped}" (mapped to ${key})`, () =>
      client.getSecret(mapped),
    );
    if (!('registrySecret' in secret.value)) {
      throw new CredentialsNotFound(
        `slot "${mapped}" (mapped to ${key}) is a git slot; docker needs a registry slot`,
      );
    }
    const { username, password } = secret.value.registrySecret;
    return { username, secret: password };
  }
  const found = await notFoundOnError(`registry slots for ${key}`, () => client.registrySecrets(serverUrl));
  // The server filters by host already; filtering again here means a server
  // bug can never hand one registry's password to another.
  const matches = found.secrets.filter(
    (s) => normaliseRegistryHost(s.value.registrySecret.serverAddress) === key,
  );
  const only = matches[0];
  if (only === undefined) throw new CredentialsNotFound(`no registry slot for ${key}`);
  if (matches.length > 1) {
    const names = matches.map((s) => s.metadata.name).join(', ');
    throw new DockerHelperError(
      `several registry slots match ${key}: ${names}; choose one with: dodil setup docker ${key} --slot NAME`,
    );
  }
  return { username: only.value.registrySecret.username, secret: only.value.registrySecret.password };
}

async function notFoundOnError<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isCliError(error)) throw new CredentialsNotFound(`${what}: ${error.message}`);
    throw error;
  }
}

async function store(creds: DockerCredentials, io: Io): Promise<void> {
  const key = normaliseRegistryHost(creds.serverUrl);
  if (key === undefined)
    throw new DockerHelperError(`${JSON.stringify(oneLine(creds.serverUrl, 100))} is not a registry host`);
  const settings = resolveSettingsOrFail(io);
  const slot = dockerMappingFor(settings.config.mappings.docker, key);
  const address = key === DOCKER_HUB_KEY ? '' : key;
  if (slot === undefined) {
    throw new DockerHelperError(
      `no dodil slot is mapped to ${key}; create one with: dodil ignite secret create NAME --type registry ` +
        `--username USER --password-stdin${address ? ` --server-address ${address}` : ''} && dodil setup docker ${key} --slot NAME`,
    );
  }
  // zod is loaded only here, off the hot path (see build.mjs).
  const { zodValidators } = await import('../wire/zod');
  const client = createApiClient(settings.server, io.transport, zodValidators);
  const existing = await currentValue(client, slot);
  if (existing === 'git')
    throw new DockerHelperError(`slot "${slot}" is a git slot; map ${key} to a registry slot`);
  try {
    await client.createSecret(slot, {
      registrySecret: {
        username: creds.username,
        password: creds.secret,
        serverAddress: existing?.serverAddress ?? address,
      },
    });
  } catch (error) {
    if (isCliError(error) && error.code === 'PERMISSION_DENIED') {
      throw new DockerHelperError(
        `this token may not rotate slot "${slot}" (it lacks the CreateSecret scope); ask someone who may to run: ` +
          `dodil ignite secret create ${slot} --type registry --username USER --password-stdin`,
      );
    }
    if (isCliError(error)) throw new DockerHelperError(`cannot rotate slot "${slot}": ${error.message}`);
    throw error;
  }
  io.stderr(`dodil: ${existing ? 'rotated' : 'created'} registry slot "${slot}" for ${key}\n`);
}

function resolveSettingsOrFail(io: Io): ClientSettings {
  try {
    return resolveSettings({}, io.env);
  } catch (error) {
    throw new DockerHelperError(error instanceof Error ? error.message : String(error));
  }
}

// The slot's current registry value, 'git' for a slot of the wrong type, or
// undefined when it does not exist yet or this token may not read it.
async function currentValue(
  client: ApiClient,
  slot: string,
): Promise<RegistrySlot['value']['registrySecret'] | 'git' | undefined> {
  try {
    const secret = await client.getSecret(slot);
    return 'registrySecret' in secret.value ? secret.value.registrySecret : 'git';
  } catch (error) {
    if (isCliError(error) && (error.code === 'NOT_FOUND' || error.code === 'PERMISSION_DENIED'))
      return undefined;
    if (isCliError(error)) throw new DockerHelperError(`cannot read slot "${slot}": ${error.message}`);
    throw error;
  }
}

async function list(io: Io): Promise<Record<string, string>> {
  // A failure answers "{}": docker build calls list first, and an error here
  // would fail builds that need no credential at all.
  let out: Record<string, string> = {};
  try {
    const settings = resolveSettings({}, io.env);
    const client = createApiClient(settings.server, io.transport, liteValidators);
    const { secrets } = await client.registrySecrets();
    const bySlot = new Map(secrets.map((s) => [s.metadata.name, s]));
    for (const s of secrets) {
      const key = normaliseRegistryHost(s.value.registrySecret.serverAddress);
      if (key !== undefined) out[serverUrlForKey(key)] = s.value.registrySecret.username;
    }
    for (const [host, slot] of Object.entries(settings.config.mappings.docker)) {
      const key = normaliseRegistryHost(host);
      const s = bySlot.get(slot);
      if (key !== undefined && s) out[serverUrlForKey(key)] = s.value.registrySecret.username;
    }
  } catch (error) {
    out = {};
    io.stderr(`dodil: list: ${error instanceof Error ? oneLine(error.message) : 'failed'}\n`);
  }
  return out;
}
