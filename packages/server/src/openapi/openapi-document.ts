import { errorBodySchema } from '@dodil/shared';
import { z } from 'zod';
import { API_OPERATIONS, errorStatusesOf } from './api-operations';
import type { ApiOperation } from './api-operations';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT or FAILED_PRECONDITION',
  401: 'UNAUTHENTICATED: missing, malformed, unknown, expired or revoked token',
  403: 'PERMISSION_DENIED: the token lacks the scope (or a grant for the slot)',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT: body over 64 KiB',
  429: 'RESOURCE_EXHAUSTED: too many failed authentications or over the token rate (Retry-After)',
  500: 'INTERNAL: nothing internal in the message; the request id finds it in the log',
  503: 'UNAVAILABLE: the database or audit log is unavailable, or the server is not ready (Retry-After)',
};

// JSON Schema 2020-12, which OpenAPI 3.1 uses as is; the per-schema `$schema` is left to the document.
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

function operationOf(op: ApiOperation): Json {
  const responses: Json = {
    200: { description: 'OK', content: { 'application/json': { schema: schemaOf(op.response, 'output') } } },
  };
  for (const status of errorStatusesOf(op)) {
    const precise = op.errorBodies?.[status];
    responses[status] =
      precise === undefined
        ? { $ref: `#/components/responses/Error${status}` }
        : {
            description: ERROR_TEXT[status] ?? 'error',
            content: { 'application/json': { schema: schemaOf(precise, 'output') } },
          };
  }
  const parameters = [...parametersOf(op.params, 'path'), ...parametersOf(op.query, 'query')];
  return {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    description: op.scope === null ? 'No token.' : `Bearer token with scope \`${op.scope}\`.`,
    security: op.scope === null ? [] : [{ bearerToken: [] }],
    'x-dodil-scope': op.scope,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(op.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document of every REST route ({@link API_OPERATIONS}),
 * generated from the zod schemas the routes validate with.
 */
export function buildOpenApiDocument(operations: readonly ApiOperation[] = API_OPERATIONS): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) paths[op.path] = { ...paths[op.path], [op.method]: operationOf(op) };
  const statuses = [...new Set(operations.flatMap(errorStatusesOf))].sort((a, b) => a - b);
  return {
    openapi: '3.1.0',
    info: {
      title: 'dodil secrets',
      version: 'v1',
      description:
        'dodil.ignite.v1.SecretService over REST (also served as gRPC, gRPC-Web and Connect on the same port). ' +
        'int64 values are decimal strings; errors are google.rpc.Status bodies.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ErrorBody: schemaOf(errorBodySchema, 'output') },
      responses: Object.fromEntries(
        statuses.map((status) => [
          `Error${status}`,
          {
            description: ERROR_TEXT[status] ?? 'error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
          },
        ]),
      ),
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (dodil_…)' },
      },
    },
  };
}
