import { readFileSync } from 'node:fs';
import { ALL_SCOPES } from '@dodil/shared';
import { ConfigError } from '../../config';
import type { TrustRecord } from '../../storage/types';
import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import { parseDuration } from '../duration';
import type { Command } from '../io';

const HELP = `usage:
  dodil-server trust create --org <org> --name <n> --issuer <iss> (--jwks-url <url> | --jwks-file <f>)
                            --audience <aud> [--claim NAME=GLOB …] --scopes ${ALL_SCOPES.join(',')}
                            [--slots gh-*,ghcr-pull] [--ttl 15m] [--allow-reexchange]
  dodil-server trust list --org <org> [-o json]
  dodil-server trust delete --org <org> <name>
  dodil-server trust test --org <org> [--trust <n>] <jwt-file>
(each also takes --data-dir DIR and --master-key-file F or --dev)

An org trusts a CI identity provider: a JWT it signs (checked against --jwks-url, https except on
loopback, or the keys of --jwks-file) whose audience and claims match is exchanged at
POST /v1/ignite/token:exchange for a token with these scopes and slots, living --ttl (default 15m,
at most 1h). A GLOB matches the whole claim value; "*" matches any run of characters.
--allow-reexchange lets the same JWT be exchanged again until it expires (GitLab id_tokens,
Kubernetes projected tokens); otherwise each jti is exchanged once.
"trust test" runs every check but the jti replay check and says which one fails.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  org: { type: 'string' },
  name: { type: 'string' },
  issuer: { type: 'string' },
  'jwks-url': { type: 'string' },
  'jwks-file': { type: 'string' },
  audience: { type: 'string' },
  claim: { type: 'string', multiple: true },
  scopes: { type: 'string' },
  slots: { type: 'string' },
  ttl: { type: 'string' },
  'allow-reexchange': { type: 'boolean' },
  trust: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

function claimsOf(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError(`--claim is NAME=GLOB, got "${pair}"`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the ${what} ${file}`);
  }
}

/** A trust for `trust list -o json`: everything but the key set's contents. */
const view = (t: TrustRecord) => ({
  name: t.name,
  issuer: t.issuer,
  jwks: t.jwksUrl ?? 'file',
  audience: t.audience,
  claims: t.claims,
  scopes: t.scopes,
  slots: t.grants ?? null,
  ttlSeconds: t.ttlMs / 1000,
  allowReexchange: t.allowReexchange,
  createdAtMs: t.createdAtMs,
});

/** `dodil-server trust create|list|delete|test`. */
export const trustCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  const org = values.org;
  if (org === undefined) throw new ConfigError(HELP);
  const arity: Record<string, number> = { create: 0, list: 0, delete: 1, test: 1 };
  if (action === undefined || arity[action] !== rest.length) throw new ConfigError(HELP);
  if (action === 'create') {
    for (const flag of ['name', 'issuer', 'audience', 'scopes'] as const) {
      if (values[flag] === undefined) throw new ConfigError(`trust create needs --${flag}\n${HELP}`);
    }
  }
  const jwksJson = values['jwks-file'] === undefined ? undefined : readText(values['jwks-file'], 'JWKS file');
  const jwt = action === 'test' ? readText(rest[0] ?? '', 'JWT file') : '';
  const ttlMs = values.ttl === undefined ? undefined : parseDuration(values.ttl);
  const runtime = await openForAdmin(values, io);
  try {
    if (action === 'create') {
      const trust = await runtime.trusts.create({
        org,
        name: values.name ?? '',
        issuer: values.issuer ?? '',
        jwksUrl: values['jwks-url'],
        jwksJson,
        audience: values.audience ?? '',
        claims: claimsOf(values.claim ?? []),
        scopes: (values.scopes ?? '').split(',').filter((s) => s !== ''),
        slots: values.slots?.split(','),
        ttlMs,
        allowReexchange: values['allow-reexchange'] ?? false,
      });
      io.stderr(`created trust ${trust.name} for org ${org}\n`);
      return 0;
    }
    if (action === 'list') {
      const trusts = (await runtime.trusts.list(org)).map(view);
      if (values.output === 'json') {
        io.stdout(`${JSON.stringify(trusts, null, 2)}\n`);
        return 0;
      }
      for (const t of trusts) {
        const claims = Object.entries(t.claims)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        io.stdout(
          `${t.name}  iss=${t.issuer}  aud=${t.audience}  jwks=${t.jwks}  scopes=${t.scopes.join(',')}  slots=${
            t.slots?.join(',') ?? '*'
          }  ttl=${t.ttlSeconds}s${t.allowReexchange ? '  reexchange' : ''}${claims === '' ? '' : `  ${claims}`}\n`,
        );
      }
      return 0;
    }
    if (action === 'delete') {
      const name = rest[0] ?? '';
      if (!(await runtime.trusts.delete(org, name))) {
        io.stderr(`org ${org} has no trust ${name}\n`);
        return 5;
      }
      io.stderr(`deleted trust ${name}\n`);
      return 0;
    }
    const result = await runtime.trusts.test(org, jwt, values.trust);
    if (!result.ok) {
      io.stdout(`refused: ${result.reason}\n`);
      return 3;
    }
    io.stdout(
      `accepted by trust ${result.trust} (sub ${result.sub ?? '-'}, jti ${result.jti ?? '-'}; jti replay not checked)\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
};
