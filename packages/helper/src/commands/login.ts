import { resolve } from 'node:path';
import { createApiClient } from '../api-client';
import { configPath, loadConfig, saveConfig } from '../config';
import { CliError, isCliError, missingError, usageError } from '../errors';
import { readAll } from '../io';
import { resolveSettings } from '../settings';
import { zodValidators } from '../wire/zod';
import { boolFlag, stringFlag } from './argv';
import type { Command } from './context';
import { formatJson } from './output';

const USAGE = `usage: dodil login [--url SERVER_URL] [--ca-file PEM] (--token TOKEN | --token-stdin) [-o json]

Checks the token against the server (a ListSecrets call with pageSize=1) and
saves URL and token in the config file (mode 0600): $DODIL_CONFIG, else
$XDG_CONFIG_HOME/dodil/config.json, else ~/.config/dodil/config.json.
Without --token, DODIL_TOKEN is used. Existing mappings are kept. --ca-file (a
private CA for an https server) is saved as "caFile", so the helpers use it too.`;

/** `dodil login` */
export const loginCommand: Command = {
  path: ['login'],
  summary: 'check a token and save it in the config file',
  usage: USAGE,
  flags: { url: { kind: 'string' }, token: { kind: 'string' }, 'token-stdin': { kind: 'boolean' } },
  async run(ctx) {
    // Never echoed: a stray word here is most likely the token itself.
    if (ctx.args.positionals.length > 0)
      throw usageError('unexpected extra argument (give the token with --token or --token-stdin)');
    const fromStdin = boolFlag(ctx.args, 'token-stdin');
    const flagToken = stringFlag(ctx.args, 'token') ?? ctx.global.token;
    if (fromStdin && flagToken !== undefined) throw usageError('give --token or --token-stdin, not both');
    const token = fromStdin
      ? (await readAll(ctx.io.stdin(), 64 * 1024)).trim()
      : (flagToken ?? ctx.io.env.DODIL_TOKEN);
    if (token === undefined || token === '')
      throw missingError('token', 'give it with --token-stdin (or --token, or DODIL_TOKEN)', USAGE);
    if (/\s/.test(token)) throw usageError('a token has no spaces or line breaks');
    // resolveSettings checks the URL (http or https only).
    const settings = resolveSettings(
      { url: stringFlag(ctx.args, 'url') ?? ctx.global.url, token, caFile: ctx.global.caFile },
      ctx.io.env,
    );
    const url = settings.server.url.replace(/\/+$/, '');
    const client = createApiClient({ ...settings.server, url, token }, ctx.io.transport, zodValidators);
    let note = '';
    try {
      await client.listSecrets({ pageSize: 1 });
    } catch (error) {
      // Authenticated but without ListSecrets (a CI token with only GetSecret): still a good token.
      if (isCliError(error) && error.code === 'PERMISSION_DENIED') note = ' (the token may not list slots)';
      else if (isCliError(error) && error.code === 'UNAUTHENTICATED') {
        throw new CliError('UNAUTHENTICATED', `${url} rejected the token: ${error.message}`);
      } else throw error;
    }
    const path = configPath(ctx.io.env);
    const config = loadConfig(path);
    config.url = url;
    config.token = token;
    // A CA given to login is remembered, so the helpers (started by git and docker) trust it too.
    if (ctx.global.caFile !== undefined) config.raw = { ...config.raw, caFile: resolve(ctx.global.caFile) };
    saveConfig(path, config);
    ctx.io.stdout(
      ctx.json
        ? formatJson({ url, configPath: path, canList: note === '' })
        : `logged in to ${url}${note}; saved in ${path} (mode 0600)\n`,
    );
    return 0;
  },
};
