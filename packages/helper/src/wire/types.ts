import type { ErrorBody, SecretMetadataJson, SecretValueJson } from '@dodil/shared';

/** GetSecret's answer. */
export interface GetSecretResponse {
  metadata: SecretMetadataJson;
  value: SecretValueJson;
}

/** CreateSecret's answer. */
export interface CreateSecretResponse {
  metadata: SecretMetadataJson;
}

/** One page of ListSecrets. */
export interface ListSecretsResponse {
  secrets: SecretMetadataJson[];
  nextPageToken: string;
}

/** A registry slot with its value, as the registry-secrets extension returns it. */
export interface RegistrySlot {
  metadata: SecretMetadataJson;
  value: { registrySecret: { username: string; password: string; serverAddress: string } };
}

/** The registry-secrets extension's answer. */
export interface RegistrySecretsResponse {
  secrets: RegistrySlot[];
}

/**
 * Checks that turn an untrusted JSON answer into a typed value, throwing on
 * anything else. Two implementations: the zod schemas of @dodil/shared
 * (`wire/zod.ts`, for the CLI commands) and small hand-written twins
 * (`wire/lite.ts`, for the credential-helper hot path, where loading zod would
 * cost more than the rest of the program). A property test keeps them equal.
 */
export interface WireValidators {
  // Function properties, not methods: the API client hands them on detached.
  getSecret: (data: unknown) => GetSecretResponse;
  createSecret: (data: unknown) => CreateSecretResponse;
  listSecrets: (data: unknown) => ListSecretsResponse;
  deleteSecret: (data: unknown) => void;
  registrySecrets: (data: unknown) => RegistrySecretsResponse;
  /** The error body, or `undefined` when the data is not one. */
  errorBody: (data: unknown) => ErrorBody | undefined;
}
