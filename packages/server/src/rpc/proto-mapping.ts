import { create } from '@bufbuild/protobuf';
import type { SecretValue as ValueInput } from '@dodil/shared';
import { SecretMetadataSchema, SecretValueSchema } from '../gen/dodil/ignite/v1/secret_pb';
import type {
  CreateSecretRequest,
  ListSecretsRequest,
  SecretMetadata,
  SecretValue,
} from '../gen/dodil/ignite/v1/secret_pb';
import type { SlotMetadata } from '../services/secret-service';

/*
 * Proto messages ⇄ the REST-shaped objects the shared zod schemas and the
 * services speak. Requests become the exact JSON a REST client would send, so
 * one schema (createSecretRequestSchema, listSecretsQuerySchema) validates
 * every protocol with the same rules and messages.
 */

function valueAsJson(value: SecretValue): Record<string, unknown> {
  const v = value.value;
  switch (v.case) {
    case 'gitSecret':
      return { gitSecret: { username: v.value.username, token: v.value.token } };
    case 'registrySecret':
      return {
        registrySecret: {
          username: v.value.username,
          password: v.value.password,
          serverAddress: v.value.serverAddress,
        },
      };
    default:
      // Neither variant: the shared schema reports "exactly one of".
      return {};
  }
}

/** CreateSecretRequest as the REST body `{name, value}`; an unset value stays absent. */
export function createRequestAsJson(req: CreateSecretRequest): Record<string, unknown> {
  return req.value === undefined ? { name: req.name } : { name: req.name, value: valueAsJson(req.value) };
}

/**
 * ListSecretsRequest as the REST query. proto3 can't tell an unset
 * `page_size` from 0, and 0 means "default" on both sides, so 0 is left out.
 */
export function listRequestAsQuery(req: ListSecretsRequest): Record<string, string> {
  const query: Record<string, string> = { pageToken: req.pageToken };
  if (req.pageSize !== 0) query['pageSize'] = String(req.pageSize);
  return query;
}

/** SecretMetadata message, field by field. */
export function metadataMessage(m: SlotMetadata): SecretMetadata {
  return create(SecretMetadataSchema, {
    name: m.name,
    type: m.type,
    createdAtMs: BigInt(m.createdAtMs),
    updatedAtMs: BigInt(m.updatedAtMs),
  });
}

/** SecretValue message, field by field so nothing else can leak out. */
export function valueMessage(v: ValueInput): SecretValue {
  if ('gitSecret' in v) {
    return create(SecretValueSchema, {
      value: { case: 'gitSecret', value: { username: v.gitSecret.username, token: v.gitSecret.token } },
    });
  }
  return create(SecretValueSchema, {
    value: {
      case: 'registrySecret',
      value: {
        username: v.registrySecret.username,
        password: v.registrySecret.password,
        serverAddress: v.registrySecret.serverAddress,
      },
    },
  });
}
