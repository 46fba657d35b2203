import type { SecretValue } from '@dodil/shared';
import type { SlotMetadata, SlotPage, SlotWithValue } from '../services/secret-service';

/** SecretMetadata in proto-JSON: camelCase, int64 as decimal strings. */
export function renderMetadata(m: SlotMetadata) {
  return {
    name: m.name,
    type: m.type,
    createdAtMs: String(m.createdAtMs),
    updatedAtMs: String(m.updatedAtMs),
  };
}

/** SecretValue in proto-JSON, field by field so nothing else can leak out. */
export function renderValue(v: SecretValue) {
  if ('gitSecret' in v) {
    return { gitSecret: { username: v.gitSecret.username, token: v.gitSecret.token } };
  }
  return {
    registrySecret: {
      username: v.registrySecret.username,
      password: v.registrySecret.password,
      serverAddress: v.registrySecret.serverAddress,
    },
  };
}

/** GetSecretResponse. */
export function renderSlot(s: SlotWithValue) {
  return { metadata: renderMetadata(s.metadata), value: renderValue(s.value) };
}

/** ListSecretsResponse. */
export function renderPage(p: SlotPage) {
  return { secrets: p.secrets.map(renderMetadata), nextPageToken: p.nextPageToken };
}
