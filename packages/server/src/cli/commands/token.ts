import { ALL_SCOPES } from '@dodil/shared';
import { ConfigError } from '../../config';
import { COMMON_OPTIONS, openForAdmin, parseCommandFlags } from '../common-options';
import { parseDuration } from '../duration';
import type { OperatorRuntime } from '../../runtime';
import type { Command } from '../io';

const HELP = `usage:
  dodil-server token create --org <org> --scopes ${ALL_SCOPES.join(',')}
                            [--slots gh-*,ghcr-pull] [--name <label>] [--expires-in 90d]
  dodil-server token list --org <org> [-o json]
  dodil-server token revoke <id>
(each also takes --data-dir DIR and --master-key-file F or --dev)

"token create" prints only the token on stdout; it is shown once and stored only as a hash.
--slots limits the token to slot names: exact names, or prefixes ending in "*" ("*" alone: all).
"token revoke" also revokes every token minted under it over the API.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  org: { type: 'string' },
  scopes: { type: 'string' },
  slots: { type: 'string' },
  name: { type: 'string' },
  'expires-in': { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

/** `dodil-server token create|list|revoke`. */
export const tokenCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (action === 'create' || action === 'list') {
    if (values.org === undefined || rest.length > 0) throw new ConfigError(HELP);
  } else if (action !== 'revoke' || rest.length !== 1) {
    throw new ConfigError(HELP);
  }
  if (action === 'create' && values.scopes === undefined) {
    throw new ConfigError(
      `token create needs --scopes: a comma-separated list of ${ALL_SCOPES.join(',')}\n\n${HELP}`,
    );
  }
  const expiresInMs = values['expires-in'] === undefined ? undefined : parseDuration(values['expires-in']);
  const runtime: Pick<OperatorRuntime, 'admin' | 'close'> = await openForAdmin(values, io);
  try {
    if (action === 'create') {
      const scopes = (values.scopes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const created = await runtime.admin.createToken({
        org: values.org ?? '',
        scopes,
        ...(values.name === undefined ? {} : { name: values.name }),
        ...(expiresInMs === undefined ? {} : { expiresInMs }),
        ...(values.slots === undefined ? {} : { slots: values.slots.split(',') }),
      });
      io.stdout(`${created.token}\n`);
      io.stderr(`created token ${created.id} (shown once; store it now)\n`);
      return 0;
    }
    if (action === 'list') {
      const tokens = await runtime.admin.listTokens(values.org ?? '');
      if (values.output === 'json') {
        io.stdout(`${JSON.stringify(tokens, null, 2)}\n`);
        return 0;
      }
      const rows = [['ID', 'NAME', 'SCOPES', 'SLOTS', 'CREATED', 'EXPIRES', 'LAST USED', 'REVOKED']];
      for (const t of tokens) {
        rows.push([
          t.id,
          t.name || '-',
          t.scopes.join(','),
          t.grants === undefined ? '*' : t.grants.join(','),
          iso(t.createdAtMs),
          iso(t.expiresAtMs),
          iso(t.lastUsedAtMs),
          iso(t.revokedAtMs),
        ]);
      }
      const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
      for (const r of rows)
        io.stdout(
          `${r
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join('  ')
            .trimEnd()}\n`,
        );
      return 0;
    }
    const id = rest[0] ?? '';
    if (!(await runtime.admin.revokeToken(id))) {
      io.stderr(`no live token ${id}\n`);
      return 5;
    }
    io.stderr(`revoked token ${id}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
};
