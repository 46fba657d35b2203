import { cliTypeName, isSlotName, LIMITS, secretValueInputSchema, SLOT_NAME_RULE } from '@dodil/shared';
import type { SecretValueInput } from '../api-client';
import { isCliError, missingError, usageError } from '../errors';
import { readAll } from '../io';
import { boolFlag, stringFlag } from './argv';
import { clientOf, type Command, type CommandContext } from './context';
import { formatJson, formatTable, formatTime } from './output';

const MAX_PAGES = 10_000;

function slotNameArg(ctx: CommandContext, usage: string, mayHoldSecret = false): string {
  const [name, ...extra] = ctx.args.positionals;
  if (name === undefined)
    throw missingError('slot name', 'the slot is the first word after the command, such as gh-clone', usage);
  if (extra.length > 0) {
    // On `create` a stray word is likely a token or password given in place of *-stdin: never echo it.
    throw usageError(
      mayHoldSecret
        ? `unexpected extra argument after the slot name\n${usage}`
        : `unexpected argument ${JSON.stringify(extra[0])}`,
    );
  }
  if (!isSlotName(name)) throw usageError(`invalid slot name ${JSON.stringify(name)}: ${SLOT_NAME_RULE}`);
  return name;
}

// docker login --password-stdin semantics: everything on stdin, minus one trailing newline.
async function secretFromStdin(ctx: CommandContext, what: string): Promise<string> {
  const text = await readAll(ctx.io.stdin(), LIMITS.secretBytes + 2);
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw usageError(`${what} from stdin is empty`);
  return value;
}

async function oneOf(ctx: CommandContext, flag: string, what: string): Promise<string> {
  const direct = stringFlag(ctx.args, flag);
  const stdin = boolFlag(ctx.args, `${flag}-stdin`);
  if (direct !== undefined && stdin) throw usageError(`give exactly one of --${flag} or --${flag}-stdin`);
  if (direct === undefined && !stdin) {
    throw missingError(
      `--${flag}-stdin`,
      `pipe the ${what} in (or --${flag} VALUE, which other users can see)`,
      CREATE_USAGE,
    );
  }
  if (direct !== undefined) {
    ctx.io.stderr(
      `dodil: warning: --${flag} on the command line is visible to other users; prefer --${flag}-stdin\n`,
    );
    return direct;
  }
  return secretFromStdin(ctx, what);
}

const CREATE_USAGE = `usage: dodil ignite secret create NAME --type git --username U (--token T | --token-stdin) [-o json]
       dodil ignite secret create NAME --type registry --username U (--password P | --password-stdin)
                                   [--server-address HOST] [-o json]

Creates the slot, or overwrites it (rotation: created time kept, updated time moves).
An empty --server-address means Docker Hub. The API token comes from DODIL_TOKEN,
the config file, or \`dodil --token API_TOKEN ignite secret create ...\`.`;

/** `dodil ignite secret create` */
export const createCommand: Command = {
  path: ['ignite', 'secret', 'create'],
  summary: 'create or rotate a slot',
  usage: CREATE_USAGE,
  flags: {
    type: { kind: 'string' },
    username: { kind: 'string' },
    token: { kind: 'string' },
    'token-stdin': { kind: 'boolean' },
    password: { kind: 'string' },
    'password-stdin': { kind: 'boolean' },
    'server-address': { kind: 'string' },
  },
  async run(ctx) {
    const name = slotNameArg(ctx, CREATE_USAGE, true);
    const type = stringFlag(ctx.args, 'type');
    const username = stringFlag(ctx.args, 'username');
    if (type === undefined)
      throw missingError('--type', 'git (a git token) or registry (a registry login)', CREATE_USAGE);
    if (type !== 'git' && type !== 'registry') throw usageError('--type must be git or registry');
    if (username === undefined)
      throw missingError('--username', 'the user the token or password belongs to', CREATE_USAGE);
    const has = (f: string) => ctx.args.flags.has(f);
    let value: SecretValueInput;
    if (type === 'git') {
      if (has('password') || has('password-stdin') || has('server-address')) {
        throw usageError('a git slot takes --token or --token-stdin (not --password or --server-address)');
      }
      value = { gitSecret: { username, token: await oneOf(ctx, 'token', 'token') } };
    } else {
      if (has('token') || has('token-stdin'))
        throw usageError('a registry slot takes --password or --password-stdin (not --token)');
      const password = await oneOf(ctx, 'password', 'password');
      value = {
        registrySecret: { username, password, serverAddress: stringFlag(ctx.args, 'server-address') ?? '' },
      };
    }
    // The contract's own input rules, so mistakes are caught before the network.
    const checked = secretValueInputSchema.safeParse(value);
    if (!checked.success) throw usageError(checked.error.issues.map((i) => i.message).join('; '));
    const response = await clientOf(ctx).createSecret(name, value);
    if (ctx.json) ctx.io.stdout(formatJson(response));
    else {
      const rotated = response.metadata.createdAtMs !== response.metadata.updatedAtMs;
      ctx.io.stdout(
        `${rotated ? 'updated' : 'created'} ${type} slot ${name}${rotated ? ' (rotated)' : ''}\n`,
      );
    }
    return 0;
  },
};

/** `dodil ignite secret list` */
export const listCommand: Command = {
  path: ['ignite', 'secret', 'list'],
  summary: 'list slots (never values)',
  usage: 'usage: dodil ignite secret list [-o json]\n\nColumns NAME, TYPE, UPDATED; every page is fetched.',
  flags: {},
  async run(ctx) {
    if (ctx.args.positionals.length > 0)
      throw usageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
    const client = clientOf(ctx);
    const secrets = [];
    let pageToken = '';
    for (let page = 0; ; page++) {
      if (page >= MAX_PAGES) throw usageError('the server keeps returning pages; giving up');
      const answer = await client.listSecrets({ pageSize: LIMITS.maxPageSize, pageToken });
      secrets.push(...answer.secrets);
      if (answer.nextPageToken === '' || answer.nextPageToken === pageToken) break;
      pageToken = answer.nextPageToken;
    }
    if (ctx.json) {
      ctx.io.stdout(formatJson({ secrets, nextPageToken: '' }));
    } else {
      const rows = secrets.map((s) => [s.name, cliTypeName(s.type), formatTime(s.updatedAtMs)]);
      ctx.io.stdout(formatTable(['NAME', 'TYPE', 'UPDATED'], rows));
    }
    return 0;
  },
};

const GET_USAGE =
  'usage: dodil ignite secret get NAME [-o json]\n\nPrints the slot, including its token or password.';

/** `dodil ignite secret get` */
export const getCommand: Command = {
  path: ['ignite', 'secret', 'get'],
  summary: 'show a slot, value included',
  usage: GET_USAGE,
  flags: {},
  async run(ctx) {
    const name = slotNameArg(ctx, GET_USAGE);
    const response = await clientOf(ctx).getSecret(name);
    if (ctx.json) {
      ctx.io.stdout(formatJson(response));
      return 0;
    }
    const m = response.metadata;
    const rows: Array<[string, string]> = [
      ['NAME', m.name],
      ['TYPE', cliTypeName(m.type)],
      ['CREATED', formatTime(m.createdAtMs)],
      ['UPDATED', formatTime(m.updatedAtMs)],
    ];
    if ('gitSecret' in response.value) {
      rows.push(['USERNAME', response.value.gitSecret.username], ['TOKEN', response.value.gitSecret.token]);
    } else {
      const r = response.value.registrySecret;
      rows.push(
        ['USERNAME', r.username],
        ['PASSWORD', r.password],
        ['SERVER', r.serverAddress || '(Docker Hub)'],
      );
    }
    ctx.io.stdout(rows.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n') + '\n');
    return 0;
  },
};

const DELETE_USAGE =
  'usage: dodil ignite secret delete NAME [-o json]\n\nDeleting a missing slot succeeds (exit 0) and says the slot was not there.';

/** `dodil ignite secret delete` */
export const deleteCommand: Command = {
  path: ['ignite', 'secret', 'delete'],
  summary: 'delete a slot (idempotent)',
  usage: DELETE_USAGE,
  flags: {},
  async run(ctx) {
    const name = slotNameArg(ctx, DELETE_USAGE);
    const client = clientOf(ctx);
    const existed = await listed(client, name);
    await client.deleteSecret(name);
    if (ctx.json) ctx.io.stdout(formatJson({}));
    else
      ctx.io.stdout(
        existed === false ? `slot ${name} was not there; nothing to delete\n` : `deleted slot ${name}\n`,
      );
    return 0;
  },
};

// Whether the org has the slot, from its metadata (never its value: DeleteSecret answers the same
// either way, and a GetSecret would read the value just to learn that). Undefined when this token
// may not list.
async function listed(client: ReturnType<typeof clientOf>, name: string): Promise<boolean | undefined> {
  let pageToken = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer;
    try {
      answer = await client.listSecrets({ pageSize: LIMITS.maxPageSize, pageToken });
    } catch (error) {
      if (isCliError(error) && error.code === 'PERMISSION_DENIED') return undefined;
      throw error;
    }
    if (answer.secrets.some((s) => s.name === name)) return true;
    if (answer.nextPageToken === '' || answer.nextPageToken === pageToken) return false;
    pageToken = answer.nextPageToken;
  }
  return undefined;
}
