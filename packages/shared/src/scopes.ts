/** The four RPC scopes of SPEC §3: exactly the RPC names. */
export const SCOPES = ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret'] as const;

/** One RPC scope. */
export type Scope = (typeof SCOPES)[number];

/** Every scope a token can carry: the RPC scopes plus `ManageTokens` and `ReadAudit` (SPEC §8, §10). */
export const ALL_SCOPES = [...SCOPES, 'ManageTokens', 'ReadAudit'] as const;

/** Any scope, RPC or not. */
export type AnyScope = (typeof ALL_SCOPES)[number];

/** True when `s` names a scope (any of {@link ALL_SCOPES}). */
export function isScope(s: string): s is AnyScope {
  return (ALL_SCOPES as readonly string[]).includes(s);
}
