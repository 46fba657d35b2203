import { z } from 'zod';
import { SLOT_NAME_PATTERN, SLOT_NAME_RULE } from './slot-name';
import { secretValueInputSchema } from './secret-value';

/** zod schema for a slot name, with the rule as its message. */
export const slotNameSchema = z.string().regex(SLOT_NAME_PATTERN, SLOT_NAME_RULE);

/** int64 as proto-JSON writes it: a decimal string. */
const int64String = z.string().regex(/^\d{1,19}$/, 'must be an int64 decimal string');

/** Body of `POST /v1/ignite/secrets` (CreateSecret). Unknown top-level fields are refused. */
export const createSecretRequestSchema = z.strictObject({
  name: slotNameSchema,
  value: secretValueInputSchema,
});
/** A validated CreateSecret request. */
export type CreateSecretRequest = z.output<typeof createSecretRequestSchema>;

/** Query of `GET /v1/ignite/secrets` (ListSecrets). Both spellings of each field are accepted. */
export const listSecretsQuerySchema = z
  .object({
    pageSize: z.string().optional(),
    page_size: z.string().optional(),
    pageToken: z.string().optional(),
    page_token: z.string().optional(),
  })
  .transform((q, ctx) => {
    const rawSize = q.pageSize ?? q.page_size;
    let pageSize: number | undefined;
    if (rawSize !== undefined && rawSize !== '') {
      if (!/^\d{1,9}$/.test(rawSize)) {
        ctx.addIssue({ code: 'custom', message: 'pageSize must be a non-negative integer' });
        return z.NEVER;
      }
      pageSize = Number(rawSize);
    }
    return { pageSize, pageToken: q.pageToken ?? q.page_token ?? '' };
  });

/** `SecretMetadata` as proto-JSON renders it (camelCase, int64 as strings). */
export const secretMetadataSchema = z.object({
  name: z.string(),
  type: z.enum(['git_secret', 'registry_secret']),
  createdAtMs: int64String,
  updatedAtMs: int64String,
});
/** Rendered metadata. */
export type SecretMetadataJson = z.infer<typeof secretMetadataSchema>;

/** `SecretValue` as the server renders it (camelCase only, every field present). */
export const secretValueJsonSchema = z.union([
  z.object({ gitSecret: z.object({ username: z.string(), token: z.string() }) }),
  z.object({
    registrySecret: z.object({
      username: z.string(),
      password: z.string(),
      serverAddress: z.string().default(''),
    }),
  }),
]);
/** Rendered value. */
export type SecretValueJson = z.infer<typeof secretValueJsonSchema>;

/** CreateSecret response. */
export const createSecretResponseSchema = z.object({ metadata: secretMetadataSchema });
/** GetSecret response. */
export const getSecretResponseSchema = z.object({
  metadata: secretMetadataSchema,
  value: secretValueJsonSchema,
});
/** ListSecrets response; empty fields may be omitted by proto-JSON writers. */
export const listSecretsResponseSchema = z.object({
  secrets: z.array(secretMetadataSchema).default([]),
  nextPageToken: z.string().default(''),
});
/** DeleteSecret response. */
export const deleteSecretResponseSchema = z.object({});

/**
 * Registry slot lookup (`GET /v1/ignite/registry-secrets?host=`), our extension
 * for the docker helper: every registry slot of the caller's org whose
 * normalised server address equals the normalised `host` (all of them without
 * `host`), with values. Scope: GetSecret. Without `host` (docker's `list`) the password is
 * always empty and the scope is ListSecrets (issue 13 item 5).
 */
export const registrySecretsResponseSchema = z.object({
  secrets: z
    .array(
      z.object({
        metadata: secretMetadataSchema,
        value: z.object({
          registrySecret: z.object({
            username: z.string(),
            password: z.string(),
            serverAddress: z.string().default(''),
          }),
        }),
      }),
    )
    .default([]),
});

/** The error body, google.rpc.Status as gRPC-gateway writes it. */
export const errorBodySchema = z.object({
  code: z.number().int(),
  message: z.string(),
  details: z.array(z.unknown()).default([]),
});
/** A rendered error. */
export type ErrorBody = z.infer<typeof errorBodySchema>;
