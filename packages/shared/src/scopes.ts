/** The four RPC scopes of docs/contract.md#tokens-orgs-and-scopes: exactly the RPC names. */
export const SCOPES = ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret'] as const;

/** The scopes beside the RPC names (docs/contract.md#least-privilege): the tokens API and the audit API. */
export const EXTRA_SCOPES = ['ManageTokens', 'ReadAudit'] as const;

/** Every scope a token can carry. */
export const ALL_SCOPES = [...SCOPES, ...EXTRA_SCOPES] as const;

/** One of the four RPC scopes. */
export type RpcScope = (typeof SCOPES)[number];

/** One scope. */
export type Scope = (typeof ALL_SCOPES)[number];

/** True when `s` names a scope. */
export function isScope(s: string): s is Scope {
  return (ALL_SCOPES as readonly string[]).includes(s);
}
