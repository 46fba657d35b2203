import { isSlotName } from '@dodil/shared';
import type { RandomBytes } from '../../crypto/aead';
import { AppError } from '../../errors/app-error';
import type { OrgRecord, OrgStore, TrustRecord, TrustStore } from '../../storage/types';
import type { Clock } from '../clock';
import { parseGrants } from '../grants';
import { checkScopes } from '../token-mint';
import { jwksUrlProblem } from './jwks';
import type { KeySources } from './key-sources';
import { verifySubjectToken } from './verify';

/** A trust as operators create it (`dodil-server trust create`). */
export interface TrustInput {
  org: string;
  name: string;
  issuer: string;
  jwksUrl?: string | undefined;
  /** The contents of `--jwks-file`. */
  jwksJson?: string | undefined;
  audience: string;
  /** `NAME=GLOB` already split. */
  claims: Readonly<Record<string, string>>;
  scopes: readonly string[];
  slots?: readonly string[] | undefined;
  ttlMs?: number | undefined;
  allowReexchange?: boolean | undefined;
}

/** What `trust test` reports: the trust a JWT would be exchanged under, or why not. */
export type TrustTestResult =
  | { ok: true; trust: string; sub: string | undefined; jti: string | undefined }
  | { ok: false; reason: string };

/** Operator actions on OIDC trusts (docs/contract.md#least-privilege). */
export interface TrustService {
  create(input: TrustInput): Promise<TrustRecord>;
  list(org: string): Promise<TrustRecord[]>;
  /** False when the org has no trust of that name. */
  delete(org: string, name: string): Promise<boolean>;
  /** Runs every check of an exchange except the jti replay check (nothing is written). */
  test(org: string, jwt: string, trust?: string): Promise<TrustTestResult>;
}

/** Dependencies of {@link createTrustService}. */
export interface TrustServiceDeps {
  orgs: Pick<OrgStore, 'getByName'>;
  trusts: Pick<TrustStore, 'create' | 'listByOrg' | 'delete'>;
  keys: KeySources;
  clock: Clock;
  random: RandomBytes;
}

/** Default lifetime of an exchanged token. */
export const DEFAULT_EXCHANGE_TTL_MS = 15 * 60_000;
/** Longest lifetime of an exchanged token. */
export const MAX_EXCHANGE_TTL_MS = 60 * 60_000;

const ONE_LINE = /^[^\r\n\0]{1,512}$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkJwks(json: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new AppError('INVALID_ARGUMENT', 'the JWKS file is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new AppError('INVALID_ARGUMENT', 'the JWKS file has no "keys"');
  for (const k of keys as unknown[]) {
    const key = (k ?? {}) as Record<string, unknown>;
    if (key.kty === 'oct' || 'd' in key) {
      throw new AppError(
        'INVALID_ARGUMENT',
        'the JWKS file holds a private or symmetric key; give public keys only',
      );
    }
  }
}

/** Creates the {@link TrustService}. */
export function createTrustService(deps: TrustServiceDeps): TrustService {
  async function orgByName(name: string): Promise<OrgRecord> {
    const org = await deps.orgs.getByName(name);
    if (org === undefined) throw new AppError('NOT_FOUND', `org ${name} not found`);
    return org;
  }

  return {
    async create(input) {
      const org = await orgByName(input.org);
      if (!isSlotName(input.name))
        throw new AppError('INVALID_ARGUMENT', 'a trust name is 1-64 of A-Z a-z 0-9 - _');
      if (!ONE_LINE.test(input.issuer))
        throw new AppError('INVALID_ARGUMENT', 'give the issuer (--issuer), one line');
      if (!ONE_LINE.test(input.audience))
        throw new AppError('INVALID_ARGUMENT', 'give the audience (--audience), one line');
      if ((input.jwksUrl === undefined) === (input.jwksJson === undefined)) {
        throw new AppError('INVALID_ARGUMENT', 'give exactly one of --jwks-url and --jwks-file');
      }
      if (input.jwksUrl !== undefined) {
        const problem = jwksUrlProblem(input.jwksUrl);
        if (problem !== undefined) throw new AppError('INVALID_ARGUMENT', problem);
      }
      if (input.jwksJson !== undefined) checkJwks(input.jwksJson);
      for (const [name, glob] of Object.entries(input.claims)) {
        if (!CLAIM_NAME.test(name) || !ONE_LINE.test(glob)) {
          throw new AppError(
            'INVALID_ARGUMENT',
            'a claim is NAME=GLOB: a name of A-Z a-z 0-9 _ . : - and a one-line glob',
          );
        }
      }
      const ttlMs = input.ttlMs ?? DEFAULT_EXCHANGE_TTL_MS;
      if (!(ttlMs >= 60_000 && ttlMs <= MAX_EXCHANGE_TTL_MS)) {
        throw new AppError('INVALID_ARGUMENT', 'the TTL of exchanged tokens is from 1m to 1h');
      }
      const trust: TrustRecord = {
        id: Buffer.from(deps.random(12)).toString('hex'),
        orgId: org.id,
        name: input.name,
        issuer: input.issuer,
        jwksUrl: input.jwksUrl,
        jwksJson: input.jwksJson,
        audience: input.audience,
        claims: { ...input.claims },
        scopes: checkScopes(input.scopes),
        grants: input.slots === undefined ? undefined : parseGrants(input.slots),
        ttlMs,
        allowReexchange: input.allowReexchange ?? false,
        createdAtMs: deps.clock(),
      };
      if (!(await deps.trusts.create(trust))) {
        throw new AppError('ALREADY_EXISTS', `org ${org.name} already has a trust named ${input.name}`);
      }
      return trust;
    },

    async list(orgName) {
      return deps.trusts.listByOrg((await orgByName(orgName)).id);
    },

    async delete(orgName, name) {
      return deps.trusts.delete((await orgByName(orgName)).id, name);
    },

    async test(orgName, jwt, named) {
      const org = await orgByName(orgName);
      const trusts = await deps.trusts.listByOrg(org.id);
      const verdict = await verifySubjectToken(
        { keysOf: (t) => deps.keys.keysOf(t), clock: deps.clock },
        trusts,
        jwt.trim(),
        named,
      );
      if (!verdict.ok) return verdict;
      const { payload } = verdict;
      return {
        ok: true,
        trust: verdict.trust.name,
        sub: typeof payload.sub === 'string' ? payload.sub : undefined,
        jti: typeof payload.jti === 'string' ? payload.jti : undefined,
      };
    },
  };
}
