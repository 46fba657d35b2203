import { SCOPES, SLOT_NAME_RULE } from '@dodil/shared';
import type { GrpcCodeName, RpcScope } from '@dodil/shared';
import { DEFAULT_FAILURE_LIMITS } from '../../../src/throttle/failure-limiter';
import { gitValue, registryValue } from '../../support/harness';
import { bearer } from './drivers';
import type { Driver, Outcome, Protocol } from './drivers';
import type { World } from './rpc-world';

/**
 * One row of the behaviour table: what to do (through one protocol's
 * driver), and what must come back, whatever the protocol.
 */
export interface BehaviourCase {
  name: string;
  /** Protocols that can express the request at all (default: every one). */
  protocols?: readonly Protocol[];
  run(w: World, d: Driver): Promise<Outcome>;
  code: GrpcCodeName;
  /** The error message (the same text on every protocol). */
  message?: RegExp;
  /** The exact REST-shaped answer. */
  data?: (w: World) => unknown;
  /** HTTP status where it is not the gRPC-gateway mapping of `code`. */
  http?: Partial<Record<Protocol, number>>;
}

const all = (w: World) => w.token('acme');
const meta = (name: string, type: string, created: number, updated = created) => ({
  name,
  type,
  createdAtMs: String(created),
  updatedAtMs: String(updated),
});

async function created(w: World, d: Driver, name: string, value: unknown): Promise<string> {
  const token = await all(w);
  const out = await d.create(bearer(token), { name, value });
  if (out.code !== 'OK') throw new Error(`setup: create ${name} failed: ${out.code} ${out.message}`);
  return token;
}

const createWith = (name: string, value: unknown) => async (w: World, d: Driver) =>
  d.create(bearer(await all(w)), { name, value });

const lacking = (scope: RpcScope) => SCOPES.filter((s) => s !== scope);

const byRpc: Record<RpcScope, (d: Driver, auth: string | undefined) => Promise<Outcome>> = {
  CreateSecret: (d, auth) => d.create(auth, { name: 'x', value: gitValue() }),
  GetSecret: (d, auth) => d.get(auth, 'x'),
  ListSecrets: (d, auth) => d.list(auth, {}),
  DeleteSecret: (d, auth) => d.delete(auth, 'x'),
};

/** The table: every row runs over REST, gRPC and Connect. */
export const BEHAVIOUR_CASES: readonly BehaviourCase[] = [
  {
    name: 'CreateSecret stores a git slot and answers its metadata only',
    run: createWith('gh-clone', gitValue()),
    code: 'OK',
    data: (w) => ({ metadata: meta('gh-clone', 'git_secret', w.clock()) }),
  },
  {
    name: 'GetSecret answers the value in full',
    run: async (w, d) => d.get(bearer(await created(w, d, 'ghcr-pull', registryValue())), 'ghcr-pull'),
    code: 'OK',
    data: (w) => ({ metadata: meta('ghcr-pull', 'registry_secret', w.clock()), value: registryValue() }),
  },
  {
    name: 'an empty server address is stored and returned empty',
    run: async (w, d) =>
      d.get(bearer(await created(w, d, 'hub', { registrySecret: { username: 'u', password: 'p' } })), 'hub'),
    code: 'OK',
    data: (w) => ({
      metadata: meta('hub', 'registry_secret', w.clock()),
      value: registryValue('', 'u', 'p'),
    }),
  },
  {
    name: 'overwriting rotates in place: createdAtMs kept, updatedAtMs moved, new value served',
    run: async (w, d) => {
      const token = await created(w, d, 'gh', gitValue('octo', 'old'));
      w.clock.advance(5_000);
      await d.create(bearer(token), { name: 'gh', value: gitValue('octo', 'new') });
      return d.get(bearer(token), 'gh');
    },
    code: 'OK',
    data: (w) => ({
      metadata: meta('gh', 'git_secret', w.clock() - 5_000, w.clock()),
      value: gitValue('octo', 'new'),
    }),
  },
  {
    name: 'overwriting with another type is FAILED_PRECONDITION',
    run: async (w, d) =>
      d.create(bearer(await created(w, d, 'gh', gitValue())), { name: 'gh', value: registryValue() }),
    code: 'FAILED_PRECONDITION',
    message: /^slot gh is a git slot; delete it to change its type$/,
  },
  {
    name: 'GetSecret of a missing slot is NOT_FOUND',
    run: async (w, d) => d.get(bearer(await all(w)), 'nope'),
    code: 'NOT_FOUND',
    message: /^slot nope not found$/,
  },
  {
    name: "another org's slot is indistinguishable from a missing one",
    run: async (w, d) => {
      await d.create(bearer(await w.token('globex')), { name: 'shared', value: gitValue() });
      return d.get(bearer(await all(w)), 'shared');
    },
    code: 'NOT_FOUND',
    message: /^slot shared not found$/,
  },
  {
    name: 'DeleteSecret of a missing slot succeeds',
    run: async (w, d) => d.delete(bearer(await all(w)), 'nope'),
    code: 'OK',
    data: () => ({}),
  },
  {
    name: 'DeleteSecret removes the slot',
    run: async (w, d) => {
      const token = await created(w, d, 'gone', gitValue());
      await d.delete(bearer(token), 'gone');
      return d.get(bearer(token), 'gone');
    },
    code: 'NOT_FOUND',
  },
  {
    name: 'ListSecrets of an empty org',
    run: async (w, d) => d.list(bearer(await all(w)), {}),
    code: 'OK',
    data: () => ({ secrets: [], nextPageToken: '' }),
  },
  {
    name: 'ListSecrets orders by name and pages with an opaque token',
    run: async (w, d) => {
      const token = await all(w);
      for (const name of ['c', 'a', 'b']) await d.create(bearer(token), { name, value: gitValue() });
      const first = await d.list(bearer(token), { pageSize: 2 });
      const page = first.data as { secrets: { name: string }[]; nextPageToken: string };
      if (page.secrets.map((s) => s.name).join() !== 'a,b' || page.nextPageToken === '')
        throw new Error('bad first page');
      return d.list(bearer(token), { pageSize: 2, pageToken: page.nextPageToken });
    },
    code: 'OK',
    data: (w) => ({ secrets: [meta('c', 'git_secret', w.clock())], nextPageToken: '' }),
  },
  {
    name: 'a page token we did not issue is INVALID_ARGUMENT',
    run: async (w, d) => d.list(bearer(await all(w)), { pageToken: 'bm90LW91cnM' }),
    code: 'INVALID_ARGUMENT',
    message: /^invalid pageToken$/,
  },
  {
    name: 'a negative page size is INVALID_ARGUMENT',
    run: async (w, d) => d.list(bearer(await all(w)), { pageSize: -1 }),
    code: 'INVALID_ARGUMENT',
    message: /pageSize must be a non-negative integer/,
  },
  {
    name: 'a bad name on create',
    run: createWith('bad name!', gitValue()),
    code: 'INVALID_ARGUMENT',
    message: new RegExp(SLOT_NAME_RULE),
  },
  {
    name: 'a name over 64 characters',
    run: createWith('a'.repeat(65), gitValue()),
    code: 'INVALID_ARGUMENT',
    message: new RegExp(SLOT_NAME_RULE),
  },
  {
    name: 'a bad name on get',
    run: async (w, d) => d.get(bearer(await all(w)), 'bad.name'),
    code: 'INVALID_ARGUMENT',
    message: new RegExp(SLOT_NAME_RULE),
  },
  {
    name: 'neither variant of the value oneof',
    run: createWith('x', {}),
    code: 'INVALID_ARGUMENT',
    message: /exactly one of gitSecret or registrySecret/,
  },
  {
    name: 'both variants of the value oneof',
    // On the protobuf wire the last variant simply wins; only JSON can say "both".
    protocols: ['rest', 'connect'],
    run: createWith('x', { ...gitValue(), ...registryValue() }),
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'no value at all',
    run: async (w, d) => d.create(bearer(await all(w)), { name: 'x' }),
    code: 'INVALID_ARGUMENT',
    message: /value must be an object with gitSecret or registrySecret/,
  },
  {
    name: 'an empty username',
    run: createWith('x', gitValue('', 't')),
    code: 'INVALID_ARGUMENT',
    message: /gitSecret\.username must not be empty/,
  },
  {
    name: 'an empty registry password',
    run: createWith('x', registryValue('ghcr.io', 'u', '')),
    code: 'INVALID_ARGUMENT',
    message: /registrySecret\.password must not be empty/,
  },
  {
    name: 'a token over 16 KiB',
    run: createWith('x', gitValue('u', 't'.repeat(16 * 1024 + 1))),
    code: 'INVALID_ARGUMENT',
    message: /gitSecret\.token must be at most 16384 bytes/,
  },
  {
    name: 'a username over 256 bytes',
    run: createWith('x', gitValue('u'.repeat(257), 't')),
    code: 'INVALID_ARGUMENT',
    message: /gitSecret\.username must be at most 256 bytes/,
  },
  {
    name: 'a line break in a git token',
    run: createWith('x', gitValue('u', 'a\nb')),
    code: 'INVALID_ARGUMENT',
    message: /gitSecret\.token must not contain line breaks/,
  },
  {
    name: 'a server address that names no registry',
    run: createWith('x', registryValue('not a host')),
    code: 'INVALID_ARGUMENT',
    message: /serverAddress/,
  },
  {
    name: 'a body over 64 KiB',
    run: createWith('x', registryValue('ghcr.io', 'u', 'p'.repeat(70 * 1024))),
    code: 'INVALID_ARGUMENT',
    message: /larger than 64 KiB/,
    http: { rest: 413 },
  },
  {
    name: 'an unknown field',
    // protobuf binary has no field names to get wrong.
    protocols: ['rest', 'connect'],
    run: async (w, d) => d.create(bearer(await all(w)), { name: 'x', value: gitValue(), org: 'globex' }),
    code: 'INVALID_ARGUMENT',
  },
  {
    name: 'the proto snake_case spellings are accepted',
    protocols: ['rest', 'connect'],
    run: async (w, d) => {
      const value = { registry_secret: { username: 'u', password: 'p', server_address: 'quay.io' } };
      return d.get(bearer(await created(w, d, 'snake', value)), 'snake');
    },
    code: 'OK',
    data: (w) => ({
      metadata: meta('snake', 'registry_secret', w.clock()),
      value: registryValue('quay.io', 'u', 'p'),
    }),
  },
  {
    name: 'a malformed Authorization value',
    run: (_w, d) => d.list('Basic dXNlcjpwYXNz', {}),
    code: 'UNAUTHENTICATED',
    message: /^malformed bearer token$/,
  },
  {
    name: 'an unknown token',
    run: async (w, d) => {
      const token = await all(w);
      return d.list(bearer(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), {});
    },
    code: 'UNAUTHENTICATED',
    message: /^unknown token$/,
  },
  {
    name: 'a revoked token',
    run: async (w, d) => {
      const { id, token } = await w.tokenWithId('acme', SCOPES);
      await w.runtime.admin.revokeToken(id);
      return d.list(bearer(token), {});
    },
    code: 'UNAUTHENTICATED',
    message: /^token revoked$/,
  },
  {
    name: 'an expired token',
    run: async (w, d) => {
      const token = await w.token('acme', SCOPES, { expiresInMs: 1_000 });
      w.clock.advance(1_000);
      return d.list(bearer(token), {});
    },
    code: 'UNAUTHENTICATED',
    message: /^token expired$/,
  },
  {
    name: 'repeated failed authentication from one address is RESOURCE_EXHAUSTED',
    run: async (_w, d) => {
      for (let i = 0; i < DEFAULT_FAILURE_LIMITS.maxFailures; i++) await d.list(bearer('not-a-token'), {});
      return d.list(bearer('not-a-token'), {});
    },
    code: 'RESOURCE_EXHAUSTED',
    message: /^too many failed authentications from this address; retry in \d+s$/,
  },
  {
    name: 'a valid token is served from an address that failed too often (docs/contract.md#server)',
    run: async (w, d) => {
      for (let i = 0; i <= DEFAULT_FAILURE_LIMITS.maxFailures; i++) await d.list(bearer('not-a-token'), {});
      return d.list(bearer(await all(w)), {});
    },
    code: 'OK',
    message: /^$/,
  },
  ...SCOPES.map((scope): BehaviourCase => ({
    name: `${scope} without a token`,
    run: (_w, d) => byRpc[scope](d, undefined),
    code: 'UNAUTHENTICATED',
    message: /^missing bearer token/,
  })),
  ...SCOPES.map((scope): BehaviourCase => ({
    name: `${scope} with a token lacking its scope`,
    run: async (w, d) => byRpc[scope](d, bearer(await w.token('acme', lacking(scope)))),
    code: 'PERMISSION_DENIED',
    message: new RegExp(`^this token lacks the ${scope} scope$`),
  })),
];
