import { Validator } from '@seriousme/openapi-schema-validator';
import { SCOPES } from '@dodil/shared';
import { describe, expect, test } from 'vitest';
import { API_OPERATIONS } from '../../src/openapi/api-operations';
import { buildOpenApiDocument } from '../../src/openapi/openapi-document';
import { gitValue, makeHarness } from '../support/harness';
import { openApiMismatch } from '../support/openapi-check';

type Json = Record<string, unknown>;

describe('GET /openapi.json (docs/contract.md#operating-it)', () => {
  test('is served without a token and is a valid OpenAPI 3.1 document', async () => {
    const h = await makeHarness();
    const res = await h.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual(buildOpenApiDocument());
    const validator = new Validator();
    const result = await validator.validate(res.json);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('documents every route the REST app registers, with its method', async () => {
    const h = await makeHarness();
    const paths = buildOpenApiDocument().paths as Record<string, Json>;
    // The web console's HTML pages (/ui, docs/contract.md#web-console) are not REST operations.
    const registered = h.app.routes.filter(
      (r) => r.method !== 'ALL' && r.path !== '/ui' && !r.path.startsWith('/ui/'),
    );
    expect(registered.length).toBeGreaterThanOrEqual(API_OPERATIONS.length);
    for (const r of registered) {
      const template = r.path.replace(/\/:([A-Za-z0-9_]+)/g, '/{$1}').replace(/(.)\/$/, '$1');
      expect(paths[template]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
    }
  });

  test('names the scope of every operation, and a bearer requirement exactly when it needs one', () => {
    const paths = buildOpenApiDocument().paths as Record<string, Record<string, Json>>;
    for (const op of API_OPERATIONS) {
      const doc = paths[op.path]?.[op.method];
      expect(doc?.['x-dodil-scope']).toBe(op.scope);
      if (op.scope === null) expect(doc?.security).toEqual([]);
      else {
        expect([...SCOPES, 'ManageTokens', 'ReadAudit']).toContain(op.scope);
        expect(doc?.security).toEqual([{ bearerToken: [] }]);
        expect(Object.keys(doc?.responses as Json)).toEqual(
          expect.arrayContaining(['200', '401', '403', '429', '503']),
        );
      }
    }
  });

  test('request schemas are the zod rules the routes apply (a bad name is refused by both)', async () => {
    const h = await makeHarness();
    const token = await h.token();
    const doc = buildOpenApiDocument();
    const create = (
      (doc.paths as Record<string, Record<string, Json>>)['/v1/ignite/secrets']?.post?.requestBody as Json
    ).content as Record<string, { schema: Json }>;
    const pattern = ((create['application/json']?.schema.properties as Record<string, Json>).name as Json)
      .pattern as string;
    expect(new RegExp(pattern).test('bad name')).toBe(false);
    expect(
      (await h.call('POST', '/v1/ignite/secrets', { token, body: { name: 'bad name', value: gitValue() } }))
        .status,
    ).toBe(400);
    expect(new RegExp(pattern).test('good-name_1')).toBe(true);
  });

  test('the response checker catches an undocumented route, status or shape', () => {
    expect(openApiMismatch('GET', '/v1/ignite/other', 200, '{}')).toHaveLength(1);
    expect(
      openApiMismatch('GET', '/v1/ignite/secrets/x', 418, '{"code":2,"message":"x","details":[]}'),
    ).toHaveLength(1);
    expect(openApiMismatch('GET', '/v1/ignite/secrets/x', 200, '{"metadata":{}}')).toHaveLength(1);
    expect(openApiMismatch('GET', '/v1/ignite/secrets/x', 404, '{"code":5,"message":"x"}')).toHaveLength(1);
    expect(openApiMismatch('GET', '/v1/ignite/secrets/x', 404, 'not json')).toHaveLength(1);
    expect(
      openApiMismatch('GET', '/v1/ignite/secrets/x', 404, '{"code":5,"message":"x","details":[]}'),
    ).toEqual([]);
    expect(
      openApiMismatch('GET', '/nowhere', 404, '{"code":5,"message":"no such route","details":[]}'),
    ).toEqual([]);
  });
});
