import {
  createSecretResponseSchema,
  deleteSecretResponseSchema,
  errorBodySchema,
  getSecretResponseSchema,
  listSecretsResponseSchema,
  registrySecretsResponseSchema,
} from '@dodil/shared';
import type { WireValidators } from './types';

/** The contract's own zod schemas, for the CLI commands (loaded lazily). */
export const zodValidators: WireValidators = {
  getSecret: (data) => getSecretResponseSchema.parse(data),
  createSecret: (data) => createSecretResponseSchema.parse(data),
  listSecrets: (data) => listSecretsResponseSchema.parse(data),
  deleteSecret: (data) => {
    deleteSecretResponseSchema.parse(data);
  },
  registrySecrets: (data) => registrySecretsResponseSchema.parse(data),
  errorBody: (data) => {
    const parsed = errorBodySchema.safeParse(data);
    return parsed.success ? parsed.data : undefined;
  },
};
