/** The four scopes of docs/contract.md#tokens-orgs-and-scopes: exactly the RPC names. */
export const SCOPES = ['CreateSecret', 'GetSecret', 'ListSecrets', 'DeleteSecret'] as const;

/** One scope. */
export type Scope = (typeof SCOPES)[number];

/** True when `s` names a scope. */
export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}
