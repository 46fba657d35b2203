import { z } from 'zod';

/**
 * Body of `POST /v1/ignite/tokens` (SPEC §8). Absent `scopes`, `slots` or
 * `expiresInSeconds` inherit the caller's (a minted token is never broader).
 */
export const createTokenRequestSchema = z.strictObject({
  name: z.string().max(128, 'a token name is at most 128 characters').optional(),
  scopes: z.array(z.string().max(64)).max(16),
  slots: z.array(z.string().max(80)).max(64).optional(),
  expiresInSeconds: z.union([z.number(), z.string().regex(/^\d{1,12}$/, 'expiresInSeconds must be a whole number')])
    .transform(Number)
    .optional(),
});
/** A validated create-token request. */
export type CreateTokenRequest = z.output<typeof createTokenRequestSchema>;

/** Body of `POST /v1/ignite/token:exchange` (SPEC §8): no bearer, the org comes from the request. */
export const tokenExchangeRequestSchema = z.strictObject({
  org: z.string().min(1).max(64),
  subjectToken: z.string().min(1).max(16 * 1024),
  trust: z.string().min(1).max(64).optional(),
});
/** A validated exchange request. */
export type TokenExchangeRequest = z.output<typeof tokenExchangeRequestSchema>;

// int64 as proto-JSON writes it; "0" means never / none in the tokens API.
const int64String = z.string().regex(/^\d{1,19}$/, 'must be an int64 decimal string');
const tokenId = z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex characters');

/** Answer of `POST /v1/ignite/tokens`: the token, shown once. */
export const createTokenResponseSchema = z.strictObject({ id: tokenId, token: z.string(), expiresAtMs: int64String });

/** One token as `GET /v1/ignite/tokens` lists it (never the token; `slots` absent = every slot). */
export const tokenInfoSchema = z.strictObject({
  id: tokenId,
  name: z.string(),
  scopes: z.array(z.string()),
  slots: z.array(z.string()).optional(),
  createdAtMs: int64String,
  expiresAtMs: int64String,
  lastUsedAtMs: int64String,
  revokedAtMs: int64String,
  parentId: tokenId.optional(),
});

/** Answer of `GET /v1/ignite/tokens`: the caller's descendants. */
export const listTokensResponseSchema = z.strictObject({ tokens: z.array(tokenInfoSchema) });

/** Answer of `DELETE /v1/ignite/tokens/{id}`. */
export const revokeTokenResponseSchema = z.strictObject({});

/** Answer of `POST /v1/ignite/token:exchange`. */
export const tokenExchangeResponseSchema = z.strictObject({ token: z.string(), expiresAtMs: int64String });
