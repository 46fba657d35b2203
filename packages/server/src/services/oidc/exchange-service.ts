import type { RandomBytes } from '../../crypto/aead';
import { AppError } from '../../errors/app-error';
import type { OrgStore, TokenStore, TrustStore } from '../../storage/types';
import type { Clock } from '../clock';
import { checkScopes, storeNewToken } from '../token-mint';
import type { KeySources } from './key-sources';
import { verifySubjectToken } from './verify';

/** A successful exchange: the minted token (shown once) and what the audit entry records. */
export interface Exchanged {
  id: string;
  token: string;
  expiresAtMs: number;
  orgId: string;
  org: string;
  trust: string;
  iss: string;
  sub: string | undefined;
  jti: string | undefined;
}

/** The one refusal every failed check gets (UNAUTHENTICATED, no hint); the reason is for logs only. */
export class ExchangeRefused extends AppError {
  constructor(
    /** Why, for the server log, the audit log and `trust test`; never sent to the caller. */
    readonly reason: string,
    readonly orgId: string | undefined,
  ) {
    super('UNAUTHENTICATED', 'token exchange refused');
  }
}

/** Who is asking (there is no principal yet): for the throttle, the audit log and the server log. */
export interface ExchangeCall {
  clientAddress: string;
  requestId: string;
}

/** `POST /v1/ignite/token:exchange` (docs/contract.md#least-privilege): a CI job's OIDC JWT for a short-lived token. */
export interface ExchangeService {
  exchange(
    input: { org: string; subjectToken: string; trust?: string | undefined },
    call: ExchangeCall,
  ): Promise<Exchanged>;
}

/** Dependencies of {@link createExchangeService}. */
export interface ExchangeServiceDeps {
  orgs: Pick<OrgStore, 'getByName'>;
  trusts: Pick<TrustStore, 'listByOrg' | 'useJti'>;
  tokens: Pick<TokenStore, 'create' | 'pruneExchanged'>;
  keys: KeySources;
  pepper: Uint8Array;
  clock: Clock;
  random: RandomBytes;
}

/** Expired exchanged tokens are deleted at most this often (one per CI job adds up). */
const PRUNE_EVERY_MS = 60_000;

/** Creates the {@link ExchangeService}. */
export function createExchangeService(deps: ExchangeServiceDeps): ExchangeService {
  let lastPrune = Number.NEGATIVE_INFINITY;

  async function pruneNow(now: number): Promise<void> {
    if (now - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = now;
    await deps.tokens.pruneExchanged(now);
  }

  return {
    async exchange({ org: orgName, subjectToken, trust: named }) {
      const org = await deps.orgs.getByName(orgName);
      if (org === undefined) throw new ExchangeRefused('no such org', undefined);
      const trusts = await deps.trusts.listByOrg(org.id);
      const verdict = await verifySubjectToken(
        { keysOf: (t) => deps.keys.keysOf(t), clock: deps.clock },
        trusts,
        subjectToken,
        named,
      );
      if (!verdict.ok) throw new ExchangeRefused(verdict.reason, org.id);
      const { trust, payload } = verdict;
      const now = deps.clock();
      const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
      if (!trust.allowReexchange) {
        // Remembered until the JWT's own expiry (plus the leeway it was accepted with).
        const until = (payload.exp ?? 0) * 1000 + 60_000;
        if (jti === undefined || !(await deps.trusts.useJti(trust.issuer, jti, until, now))) {
          throw new ExchangeRefused(`trust "${trust.name}": the jti was exchanged before`, org.id);
        }
      }
      await pruneNow(now);
      const minted = await storeNewToken(deps, {
        orgId: org.id,
        name: `oidc:${trust.name}`,
        scopes: checkScopes(trust.scopes),
        grants: trust.grants,
        expiresAtMs: now + trust.ttlMs,
        trustId: trust.id,
      });
      return {
        id: minted.id,
        token: minted.token,
        expiresAtMs: now + trust.ttlMs,
        orgId: org.id,
        org: org.name,
        trust: trust.name,
        iss: trust.issuer,
        sub: typeof payload.sub === 'string' ? payload.sub : undefined,
        jti,
      };
    },
  };
}
