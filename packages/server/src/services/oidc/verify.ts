import { decodeJwt, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { TrustRecord } from '../../storage/types';
import type { Clock } from '../clock';
import { firstMismatch } from './claim-glob';

/** The only signature algorithms accepted (docs/contract.md#least-privilege): never `none`, never a shared secret. */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const LEEWAY_SECONDS = 60;

/** The longest `jti` remembered (anything longer is refused, so the replay table stays small). */
const MAX_JTI_LENGTH = 256;

/** What a verification found: the one trust a JWT satisfies and its verified claims, or why not. */
export type Verdict = { ok: true; trust: TrustRecord; payload: JWTPayload } | { ok: false; reason: string };

/** What {@link verifySubjectToken} needs. */
export interface VerifyDeps {
  /** The key set of a trust (its JWKS URL or file), cached by the caller. */
  keysOf(trust: TrustRecord): JWTVerifyGetKey;
  clock: Clock;
}

// Caller-supplied text in a reason (an issuer, a trust name) is shown only to operators, but
// kept short and on one line.
const shown = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : 'unexpected failure';
}

async function verifyOne(deps: VerifyDeps, trust: TrustRecord, jwt: string): Promise<Verdict> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, deps.keysOf(trust), {
      issuer: trust.issuer,
      audience: trust.audience,
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: LEEWAY_SECONDS,
      currentDate: new Date(deps.clock()),
      requiredClaims: trust.allowReexchange ? ['exp'] : ['exp', 'jti'],
    }));
  } catch (err) {
    return { ok: false, reason: `trust ${shown(trust.name)}: ${reasonOf(err)}` };
  }
  if (
    !trust.allowReexchange &&
    (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > MAX_JTI_LENGTH)
  ) {
    return { ok: false, reason: `trust ${shown(trust.name)}: the "jti" claim is not a usable string` };
  }
  const mismatch = firstMismatch(trust.claims, payload);
  if (mismatch !== undefined) {
    return {
      ok: false,
      reason: `trust ${shown(trust.name)}: claim ${shown(mismatch)} does not match its glob`,
    };
  }
  return { ok: true, trust, payload };
}

/**
 * Checks a JWT against an org's trusts: the named one, or else exactly one of
 * those whose issuer is the JWT's `iss` must accept it (signature by a key of
 * the trust's own key set, algorithm, `iss`, `aud`, `exp`/`nbf` with leeway,
 * `jti` present unless re-exchange is allowed, every claim glob). The `jti`
 * replay check is the caller's (it writes).
 */
export async function verifySubjectToken(
  deps: VerifyDeps,
  trusts: readonly TrustRecord[],
  jwt: string,
  named: string | undefined,
): Promise<Verdict> {
  const pool = named === undefined ? trusts : trusts.filter((t) => t.name === named);
  if (pool.length === 0) {
    return {
      ok: false,
      reason: named === undefined ? 'the org has no trusts' : `the org has no trust named ${shown(named)}`,
    };
  }
  let issuer: unknown;
  try {
    issuer = decodeJwt(jwt).iss;
  } catch {
    return { ok: false, reason: 'the subject token is not a JWT' };
  }
  if (typeof issuer !== 'string') return { ok: false, reason: 'the JWT has no "iss" claim' };
  // Only trusts of this issuer are tried: their keys are the only ones that may sign it.
  const candidates = pool.filter((t) => t.issuer === issuer);
  if (candidates.length === 0)
    return { ok: false, reason: `no trust of this org has issuer ${shown(issuer)}` };
  const verdicts: Verdict[] = [];
  for (const trust of candidates) verdicts.push(await verifyOne(deps, trust, jwt));
  const accepted = verdicts.filter((v): v is Extract<Verdict, { ok: true }> => v.ok);
  if (accepted.length === 1 && accepted[0] !== undefined) return accepted[0];
  if (accepted.length > 1) {
    return {
      ok: false,
      reason: `${accepted.length} trusts match (${accepted.map((v) => shown(v.trust.name)).join(', ')}); the request must name one`,
    };
  }
  return { ok: false, reason: verdicts.map((v) => (v.ok ? '' : v.reason)).join('; ') };
}
