import type { ErrorBody, SecretMetadataJson, SecretValueJson } from '@dodil/shared';
import type { RegistrySlot, WireValidators } from './types';

/** Thrown by the lite checks; the API client reports it as an unexpected answer. */
export class WireError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'WireError';
  }
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const INT64 = /^\d{1,19}$/;

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new WireError(`${what} must be a string`);
  return v;
}

/** `secretMetadataSchema`, by hand. Builds a fresh object: unknown fields are dropped, as zod does. */
function metadata(v: unknown): SecretMetadataJson {
  if (!isRec(v)) throw new WireError('metadata must be an object');
  const type = v.type;
  if (type !== 'git_secret' && type !== 'registry_secret') throw new WireError('metadata.type is unknown');
  const createdAtMs = str(v.createdAtMs, 'metadata.createdAtMs');
  const updatedAtMs = str(v.updatedAtMs, 'metadata.updatedAtMs');
  if (!INT64.test(createdAtMs) || !INT64.test(updatedAtMs))
    throw new WireError('metadata times must be int64 strings');
  return { name: str(v.name, 'metadata.name'), type, createdAtMs, updatedAtMs };
}

function registryValue(v: unknown): RegistrySlot['value']['registrySecret'] {
  if (!isRec(v)) throw new WireError('registrySecret must be an object');
  const serverAddress =
    v.serverAddress === undefined ? '' : str(v.serverAddress, 'registrySecret.serverAddress');
  return {
    username: str(v.username, 'registrySecret.username'),
    password: str(v.password, 'registrySecret.password'),
    serverAddress,
  };
}

/** `secretValueJsonSchema` (a union tried in order: gitSecret first), by hand. */
function value(v: unknown): SecretValueJson {
  if (!isRec(v)) throw new WireError('value must be an object');
  const git = v.gitSecret;
  if (isRec(git) && typeof git.username === 'string' && typeof git.token === 'string') {
    return { gitSecret: { username: git.username, token: git.token } };
  }
  return { registrySecret: registryValue(v.registrySecret) };
}

/** The hand-written validators (no zod), for the hot path. */
export const liteValidators: WireValidators = {
  getSecret(data) {
    if (!isRec(data)) throw new WireError('answer must be an object');
    return { metadata: metadata(data.metadata), value: value(data.value) };
  },
  createSecret(data) {
    if (!isRec(data)) throw new WireError('answer must be an object');
    return { metadata: metadata(data.metadata) };
  },
  listSecrets(data) {
    if (!isRec(data)) throw new WireError('answer must be an object');
    const secrets = data.secrets === undefined ? [] : data.secrets;
    if (!Array.isArray(secrets)) throw new WireError('secrets must be a list');
    const nextPageToken = data.nextPageToken === undefined ? '' : str(data.nextPageToken, 'nextPageToken');
    return { secrets: secrets.map(metadata), nextPageToken };
  },
  deleteSecret(data) {
    if (!isRec(data)) throw new WireError('answer must be an object');
  },
  registrySecrets(data) {
    if (!isRec(data)) throw new WireError('answer must be an object');
    const secrets = data.secrets === undefined ? [] : data.secrets;
    if (!Array.isArray(secrets)) throw new WireError('secrets must be a list');
    return {
      secrets: secrets.map((s: unknown): RegistrySlot => {
        if (!isRec(s) || !isRec(s.value))
          throw new WireError('each registry secret must be {metadata, value}');
        return {
          metadata: metadata(s.metadata),
          value: { registrySecret: registryValue(s.value.registrySecret) },
        };
      }),
    };
  },
  errorBody(data): ErrorBody | undefined {
    if (!isRec(data)) return undefined;
    const { code, message } = data;
    if (typeof code !== 'number' || !Number.isSafeInteger(code) || typeof message !== 'string')
      return undefined;
    const details = data.details === undefined ? [] : data.details;
    if (!Array.isArray(details)) return undefined;
    const items: readonly unknown[] = details;
    return { code, message, details: [...items] };
  },
};
