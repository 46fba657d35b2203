import {
  createTokenRequestSchema,
  createTokenResponseSchema,
  listTokensResponseSchema,
  tokenExchangeRequestSchema,
  tokenExchangeResponseSchema,
  createSecretRequestSchema,
  createSecretResponseSchema,
  deleteSecretResponseSchema,
  getSecretResponseSchema,
  listSecretsQuerySchema,
  listSecretsResponseSchema,
  registrySecretsResponseSchema,
  slotNameSchema,
} from '@dodil/shared';
import { z } from 'zod';
import { auditQuerySchema, auditResponseSchema } from '../routes/audit';
import { healthResponseSchema, notReadyResponseSchema, readyResponseSchema } from '../routes/health';
import { registryQuerySchema } from '../routes/secrets';
import { TOKEN_EXCHANGE_PATH } from '../routes/token-exchange';

/** One REST operation as /openapi.json describes it. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template (`/v1/ignite/secrets/{name}`). */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** The scope the bearer token needs; `null` for a route that takes no token. */
  scope: string | null;
  /** Path parameters, as the zod object that names them. */
  params?: z.ZodObject;
  /** The query schema the route validates with. */
  query?: z.ZodType;
  /** The JSON body schema the route validates with. */
  body?: z.ZodType;
  /** The 200 answer. */
  response: z.ZodType;
  /** Error statuses beyond those every call of its kind can get (see {@link errorStatusesOf}). */
  errors?: readonly number[];
  /** Error bodies more precise than the common google.rpc.Status, by status. */
  errorBodies?: Readonly<Record<number, z.ZodType>>;
}

/**
 * Every REST route of the server, one entry each: adding a route to
 * /openapi.json is adding one entry here, with the same zod schemas the route
 * validates with. A contract test fails for any REST answer whose route is
 * missing here (test/support/openapi-check.ts).
 */
export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/ignite/secrets',
    operationId: 'CreateSecret',
    summary: 'Create or update (rotate) a slot',
    tag: 'SecretService',
    scope: 'CreateSecret',
    body: createSecretRequestSchema,
    response: createSecretResponseSchema,
  },
  {
    method: 'get',
    path: '/v1/ignite/secrets',
    operationId: 'ListSecrets',
    summary: 'List slot metadata, ordered by name (never values)',
    tag: 'SecretService',
    scope: 'ListSecrets',
    query: listSecretsQuerySchema,
    response: listSecretsResponseSchema,
  },
  {
    method: 'get',
    path: '/v1/ignite/secrets/{name}',
    operationId: 'GetSecret',
    summary: 'Read a slot with its value',
    tag: 'SecretService',
    scope: 'GetSecret',
    params: z.object({ name: slotNameSchema }),
    response: getSecretResponseSchema,
    errors: [404],
  },
  {
    method: 'delete',
    path: '/v1/ignite/secrets/{name}',
    operationId: 'DeleteSecret',
    summary: 'Delete a slot (idempotent)',
    tag: 'SecretService',
    scope: 'DeleteSecret',
    params: z.object({ name: slotNameSchema }),
    response: deleteSecretResponseSchema,
  },
  {
    method: 'get',
    path: '/v1/ignite/registry-secrets',
    operationId: 'FindRegistrySecrets',
    summary: 'Registry slots whose server address matches a host (the docker helper)',
    tag: 'Extensions',
    scope: 'GetSecret',
    query: registryQuerySchema,
    response: registrySecretsResponseSchema,
  },
  {
    method: 'post',
    path: '/v1/ignite/tokens',
    operationId: 'CreateToken',
    summary: 'Mint a token no broader than the caller (scopes, grants, expiry); shown once',
    tag: 'Tokens',
    scope: 'ManageTokens',
    body: createTokenRequestSchema,
    response: createTokenResponseSchema,
  },
  {
    method: 'get',
    path: '/v1/ignite/tokens',
    operationId: 'ListTokens',
    summary: 'The tokens the caller minted and their descendants (never the token)',
    tag: 'Tokens',
    scope: 'ManageTokens',
    response: listTokensResponseSchema,
  },
  {
    method: 'delete',
    path: '/v1/ignite/tokens/{id}',
    operationId: 'RevokeToken',
    summary: 'Revoke a token and every token minted under it',
    tag: 'Tokens',
    scope: 'ManageTokens',
    params: z.object({ id: z.string() }),
    response: z.object({}),
    errors: [404],
  },
  {
    method: 'post',
    path: TOKEN_EXCHANGE_PATH,
    operationId: 'ExchangeToken',
    summary: 'An OIDC JWT of a trusted issuer for a short-lived token (no bearer)',
    tag: 'Tokens',
    scope: null,
    body: tokenExchangeRequestSchema,
    response: tokenExchangeResponseSchema,
    errors: [400, 401, 413, 429, 503],
  },
  {
    method: 'get',
    path: '/v1/ignite/audit',
    operationId: 'ListAudit',
    summary:
      "The caller's org's audit entries, newest first, filtered by slot, action and time (the console's audit page)",
    tag: 'Extensions',
    scope: 'ReadAudit',
    query: auditQuerySchema,
    response: auditResponseSchema,
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'Healthz',
    summary: 'The process answers',
    tag: 'Operations',
    scope: null,
    response: healthResponseSchema,
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'Readyz',
    summary: 'Ready to serve; 503 names every server-side cause with a fixed code',
    tag: 'Operations',
    scope: null,
    response: readyResponseSchema,
    errors: [503],
    errorBodies: { 503: notReadyResponseSchema },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'OpenApi',
    summary: 'This document',
    tag: 'Operations',
    scope: null,
    response: z.looseObject({ openapi: z.string() }),
  },
];

/**
 * Error statuses an operation can answer: an authenticated route can always
 * fail authentication, scope, validation, body size, throttling, internally
 * and for an unavailable store (docs/contract.md#errors); an open one only by its own errors.
 */
export function errorStatusesOf(op: ApiOperation): number[] {
  const common = op.scope === null ? [500] : [400, 401, 403, 413, 429, 500, 503];
  return [...new Set([...common, ...(op.errors ?? [])])].sort((a, b) => a - b);
}
