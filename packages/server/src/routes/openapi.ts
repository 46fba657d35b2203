import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env';
import { jsonResponse } from '../http/json-response';
import { buildOpenApiDocument } from '../openapi/openapi-document';

/** `GET /openapi.json` (no token): the OpenAPI 3.1 document, built once on first request. */
export function openApiRoutes() {
  let document: Record<string, unknown> | undefined;
  return new Hono<AppEnv>().get('/openapi.json', (c) =>
    jsonResponse(c, (document ??= buildOpenApiDocument()), 200),
  );
}
