import { zValidator } from '@hono/zod-validator';
import { createSecretRequestSchema, listSecretsQuerySchema } from '@dodil/shared';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env';
import { callContext } from '../http/app-env';
import { jsonBody } from '../http/json-body';
import { jsonResponse } from '../http/json-response';
import { renderMetadata, renderPage, renderSlot } from '../http/render';
import { validationHook } from '../edge/validation';
import type { SecretService } from '../services/secret-service';

/** The four SecretService RPCs over REST (docs/contract.md#api), mounted at `/v1/ignite/secrets`. */
export function secretRoutes(secrets: SecretService) {
  return new Hono<AppEnv>()
    .post('/', jsonBody(createSecretRequestSchema), async (c) => {
      const metadata = await secrets.create(callContext(c), c.get('body'));
      return jsonResponse(c, { metadata: renderMetadata(metadata) }, 200);
    })
    .get('/', zValidator('query', listSecretsQuerySchema, validationHook), async (c) => {
      const page = await secrets.list(callContext(c), c.req.valid('query'));
      return jsonResponse(c, renderPage(page), 200);
    })
    .get('/:name', async (c) => {
      const slot = await secrets.get(callContext(c), c.req.param('name'));
      return jsonResponse(c, renderSlot(slot), 200);
    })
    .delete('/:name', async (c) => {
      await secrets.delete(callContext(c), c.req.param('name'));
      return jsonResponse(c, {}, 200);
    });
}

/** Query of the registry slot lookup (also described in /openapi.json). */
export const registryQuerySchema = z.object({ host: z.string().optional() });

/**
 * Our extension for the docker helper: registry slots matching a server
 * string, mounted at `/v1/ignite/registry-secrets` (scope GetSecret; without `host`, metadata only and scope ListSecrets).
 */
export function registrySecretRoutes(secrets: SecretService) {
  return new Hono<AppEnv>().get('/', zValidator('query', registryQuerySchema, validationHook), async (c) => {
    const found = await secrets.findRegistry(callContext(c), c.req.valid('query').host);
    return jsonResponse(c, { secrets: found.map(renderSlot) }, 200);
  });
}
