import { create } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { createSecretRequestSchema, listSecretsQuerySchema } from '@dodil/shared';
import {
  CreateSecretResponseSchema,
  DeleteSecretResponseSchema,
  GetSecretResponseSchema,
  ListSecretsResponseSchema,
} from '../gen/dodil/ignite/v1/secret_pb';
import type { SecretService } from '../gen/dodil/ignite/v1/secret_pb';
import { parseWith } from '../edge/validation';
import type { AuthService } from '../services/auth-service';
import type { CallContext } from '../services/context';
import type { SecretService as SecretRules } from '../services/secret-service';
import { callInfoOf } from './call-info';
import { createRequestAsJson, listRequestAsQuery, metadataMessage, valueMessage } from './proto-mapping';

/** What the RPC handlers call: the same services the REST routes call. */
export interface SecretRpcDeps {
  secrets: Pick<SecretRules, 'create' | 'get' | 'list' | 'delete'>;
  auth: Pick<AuthService, 'authenticate'>;
}

/**
 * dodil.ignite.v1.SecretService for gRPC, gRPC-Web and Connect. Each handler
 * authenticates the `authorization` metadata with the one auth service (so
 * throttling is shared with REST), converts the message to the REST shape,
 * validates it with the shared schema, calls the one secret service (scopes,
 * org isolation, audit live there) and maps the result field by field.
 * Errors are AppErrors; the error-mapping interceptor turns them into statuses.
 */
export function createSecretRpcService(deps: SecretRpcDeps): ServiceImpl<typeof SecretService> {
  async function callContext(hctx: HandlerContext): Promise<CallContext> {
    const info = callInfoOf(hctx.values);
    // Our listener authenticated from the headers before reading the body; an in-process
    // transport (unit tests) did not, so authenticate here then.
    const principal =
      info.principal ??
      (await deps.auth.authenticate(
        hctx.requestHeader.get('authorization') ?? undefined,
        info.clientAddress,
        info.requestId,
      ));
    info.org = principal.orgName;
    return { principal, requestId: info.requestId, clientAddress: info.clientAddress };
  }

  return {
    async createSecret(req, hctx) {
      const ctx = await callContext(hctx);
      const input = parseWith(createSecretRequestSchema, createRequestAsJson(req));
      const metadata = await deps.secrets.create(ctx, input);
      return create(CreateSecretResponseSchema, { metadata: metadataMessage(metadata) });
    },

    async getSecret(req, hctx) {
      const ctx = await callContext(hctx);
      const slot = await deps.secrets.get(ctx, req.name);
      return create(GetSecretResponseSchema, {
        metadata: metadataMessage(slot.metadata),
        value: valueMessage(slot.value),
      });
    },

    async listSecrets(req, hctx) {
      const ctx = await callContext(hctx);
      const query = parseWith(listSecretsQuerySchema, listRequestAsQuery(req));
      const page = await deps.secrets.list(ctx, query);
      return create(ListSecretsResponseSchema, {
        secrets: page.secrets.map(metadataMessage),
        nextPageToken: page.nextPageToken,
      });
    },

    async deleteSecret(req, hctx) {
      const ctx = await callContext(hctx);
      await deps.secrets.delete(ctx, req.name);
      return create(DeleteSecretResponseSchema, {});
    },
  };
}
