import { DOCKER_HUB_KEY, normaliseRegistryHost, serverUrlForKey } from '@dodil/shared';
import { createApiClient, type ApiClient } from '../api-client';
import { isCliError, oneLine } from '../errors';
import { readAll, StdinTooLargeError, type Io } from '../io';
import { resolveSettings, type ClientSettings } from '../settings';
import { VERSION } from '../version';
import { liteValidators } from '../wire/lite';
import type { RegistrySlot } from '../wire/types';
import { dockerMappingFor } from './mapping';
import {
  CredentialsNotFound,
  DockerHelperError,
  formatGetOutput,
  MAX_INPUT_BYTES,
  MISSING_SERVER_URL,
  parseStoreInput,
} from './protocol';

/** Usage of the docker credential helper mode. */
export const DOCKER_USAGE = `usage: docker-credential-dodil <get|store|erase|list|version>

A docker credential helper backed by dodil registry slots. Use it from
~/.docker/config.json as "credsStore": "dodil" or "credHelpers": {"<registry>": "dodil"};
\`dodil setup docker <registry> --slot NAME\` writes both the entry and the mapping.`;

/**
 * The docker helper. Errors are thrown: {@link CredentialsNotFound} and
 * {@link DockerHelperError}; run.ts turns them into stdout text + exit 1.
 */
export async function runDockerHelper(args: readonly string[], io: Io): Promise<number> {
  const action = args[0];
  if (args.length === 1 && (action === '--version' || action === '-v' || action === 'version')) {
    io.stdout(`docker-credential-dodil (dodil) ${VERSION}\n`);
    return 0;
  }
  if (args.length === 1 && (action === '--help' || action === '-h')) {
    io.stdout(`${DOCKER_USAGE}\n`);
    return 0;
  }
  if (args.length !== 1 || action === undefined || !['get', 'store', 'erase', 'list'].includes(action)) {
    io.stdout(`${DOCKER_USAGE}\n`);
    return 1;
  }
  if (action === 'list') return list(io);
  const input = await readInput(io);
  if (action === 'erase') return 0; // docker logout must never delete the org's slot
  if (action === 'store') return store(input, io);
  return get(input, io);
}

async function readInput(io: Io): Promise<string> {
  try {
    return await readAll(io.stdin(), MAX_INPUT_BYTES);
  } catch (error) {
    if (error instanceof StdinTooLargeError) throw new DockerHelperError(error.message);
    throw error;
  }
}

function settingsOrNotFound(io: Io): ClientSettings {
  try {
    return resolveSettings({}, io.env);
  } catch (error) {
    throw new CredentialsNotFound(error instanceof Error ? error.message : String(error));
  }
}

async function get(input: string, io: Io): Promise<number> {
  const serverUrl = input.trim();
  if (serverUrl === '') throw new DockerHelperError(MISSING_SERVER_URL);
  const key = normaliseRegistryHost(serverUrl);
  if (key === undefined) throw new CredentialsNotFound(`${JSON.stringify(oneLine(serverUrl, 100))} is not a registry host`);
  const settings = settingsOrNotFound(io);
  const client = createApiClient(settings.server, io.transport, liteValidators);
  const mapped = dockerMappingFor(settings.config.mappings.docker, key);
  if (mapped !== undefined) {
    const secret = await notFoundOnError(`slot "${mapped}" (mapped to ${key})`, () => client.getSecret(mapped));
    if (!('registrySecret' in secret.value)) {
      throw new CredentialsNotFound(`slot "${mapped}" (mapped to ${key}) is a git slot; docker needs a registry slot`);
    }
    const { username, password } = secret.value.registrySecret;
    io.stdout(formatGetOutput(serverUrl, username, password));
    return 0;
  }
  const found = await notFoundOnError(`registry slots for ${key}`, () => client.registrySecrets(serverUrl));
  // The server filters by host already; filtering again here means a server
  // bug can never hand one registry's password to another.
  const matches = found.secrets.filter((s) => normaliseRegistryHost(s.value.registrySecret.serverAddress) === key);
  const only = matches[0];
  if (only === undefined) throw new CredentialsNotFound(`no registry slot for ${key}`);
  if (matches.length > 1) {
    const names = matches.map((s) => s.metadata.name).join(', ');
    throw new DockerHelperError(
      `several registry slots match ${key}: ${names}; choose one with: dodil setup docker ${key} --slot NAME`,
    );
  }
  io.stdout(formatGetOutput(serverUrl, only.value.registrySecret.username, only.value.registrySecret.password));
  return 0;
}

async function notFoundOnError<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isCliError(error)) throw new CredentialsNotFound(`${what}: ${error.message}`);
    throw error;
  }
}

async function store(input: string, io: Io): Promise<number> {
  const creds = parseStoreInput(input);
  const key = normaliseRegistryHost(creds.serverUrl);
  if (key === undefined) throw new DockerHelperError(`${JSON.stringify(oneLine(creds.serverUrl, 100))} is not a registry host`);
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
  if (existing === 'git') throw new DockerHelperError(`slot "${slot}" is a git slot; map ${key} to a registry slot`);
  try {
    await client.createSecret(slot, {
      registrySecret: { username: creds.username, password: creds.secret, serverAddress: existing?.serverAddress ?? address },
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
  return 0;
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
async function currentValue(client: ApiClient, slot: string): Promise<RegistrySlot['value']['registrySecret'] | 'git' | undefined> {
  try {
    const secret = await client.getSecret(slot);
    return 'registrySecret' in secret.value ? secret.value.registrySecret : 'git';
  } catch (error) {
    if (isCliError(error) && (error.code === 'NOT_FOUND' || error.code === 'PERMISSION_DENIED')) return undefined;
    if (isCliError(error)) throw new DockerHelperError(`cannot read slot "${slot}": ${error.message}`);
    throw error;
  }
}

async function list(io: Io): Promise<number> {
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
  io.stdout(`${JSON.stringify(out)}\n`);
  return 0;
}
