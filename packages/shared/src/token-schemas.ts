import { z } from 'zod';

/**
 * Body of `POST /v1/ignite/tokens` (docs/contract.md#least-privilege). Absent `scopes`, `slots` or
 * `expiresInSeconds` inherit the caller's (a minted token is never broader).
 */
export const createTokenRequestSchema = z.strictObject({
  name: z.string().max(128, 'a token name is at most 128 characters').optional(),
  scopes: z.array(z.string().max(64)).max(16),
  slots: z.array(z.string().max(80)).max(64).optional(),
  expiresInSeconds: z
    .union([z.number(), z.string().regex(/^\d{1,12}$/, 'expiresInSeconds must be a whole number')])
    .transform(Number)
    .optional(),
});
/** A validated create-token request. */
export type CreateTokenRequest = z.output<typeof createTokenRequestSchema>;

/** Body of `POST /v1/ignite/token:exchange` (docs/contract.md#least-privilege): no bearer, the org comes from the request. */
export const tokenExchangeRequestSchema = z.strictObject({
  org: z.string().min(1).max(64),
  subjectToken: z
    .string()
    .min(1)
    .max(16 * 1024),
  trust: z.string().min(1).max(64).optional(),
});
/** A validated exchange request. */
export type TokenExchangeRequest = z.output<typeof tokenExchangeRequestSchema>;

/** int64 as proto-JSON writes it; "0" means never / none. */
const int64Text = z.string().regex(/^\d{1,19}$/);

/** `POST /v1/ignite/tokens` answer: the token, shown once. */
export const createTokenResponseSchema = z.object({
  id: z.string(),
  token: z.string(),
  expiresAtMs: int64Text,
});

/** One token of `GET /v1/ignite/tokens` (never the token or its hash). */
export const tokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  /** Absent: every slot of the org. */
  slots: z.array(z.string()).optional(),
  createdAtMs: int64Text,
  expiresAtMs: int64Text,
  lastUsedAtMs: int64Text,
  revokedAtMs: int64Text,
  parentId: z.string().optional(),
});

/** `GET /v1/ignite/tokens` answer. */
export const listTokensResponseSchema = z.object({ tokens: z.array(tokenViewSchema) });

/** `POST /v1/ignite/token:exchange` answer. */
export const tokenExchangeResponseSchema = z.object({ token: z.string(), expiresAtMs: int64Text });
