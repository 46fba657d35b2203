import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi-document';

/*
 * Checks REST answers against the OpenAPI document the server serves, with a
 * JSON Schema 2020-12 validator (ajv) that shares nothing with zod: every
 * answer of the contract suite goes through here (harness `call`). An answer
 * on a route the document lacks fails too, so a new route can't be left out.
 */

type Json = Record<string, unknown>;

const document = buildOpenApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema((document.components as Json).schemas as Json, 'components');
const compiled = new Map<string, ValidateFunction>();

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const templates = Object.keys(document.paths as Json).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  let target: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) target = (target as Json)[part];
  return resolve(target as Json);
}

function validatorFor(key: string, schema: Json): ValidateFunction {
  let v = compiled.get(key);
  if (v === undefined) {
    // Component refs point into the document; inline them for the standalone validator.
    const text = JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/');
    v = ajv.compile(JSON.parse(text) as Json);
    compiled.set(key, v);
  }
  return v;
}

/** Why a REST answer does not match the document (empty when it does). */
export function openApiMismatch(method: string, url: string, status: number, body: string): string[] {
  const path = new URL(url, 'http://x').pathname;
  const m = method.toLowerCase();
  const where = `${method} ${path} → ${status}`;
  const found = templates.find((t) => t.regex.test(path));
  const op =
    found && METHODS.includes(m as (typeof METHODS)[number])
      ? ((document.paths as Json)[found.template] as Json)[m]
      : undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return [`${where}: the body is not JSON`];
  }
  if (op === undefined) {
    // Not a documented operation: only an error answer is acceptable.
    if (status < 400) return [`${where}: answered on a route missing from /openapi.json`];
    const v = validatorFor('error', { $ref: 'components#/ErrorBody' });
    return v(json) ? [] : [`${where}: error body: ${ajv.errorsText(v.errors)}`];
  }
  const responses = (op as Json).responses as Json;
  const response = responses[String(status)];
  if (response === undefined) return [`${where}: status not documented for ${found?.template ?? ''}`];
  const schema = ((resolve(response as Json).content as Json)['application/json'] as Json).schema as Json;
  const v = validatorFor(`${m} ${found?.template ?? ''} ${status}`, schema);
  return v(json) ? [] : [`${where}: ${ajv.errorsText(v.errors)}`];
}
