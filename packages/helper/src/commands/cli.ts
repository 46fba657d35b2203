import { usageError } from '../errors';
import type { Io } from '../io';
import { versionLine } from '../version';
import { boolFlag, parseArgs, stringFlag, type FlagSpec } from './argv';
import type { Command } from './context';
import { createCommand, deleteCommand, getCommand, listCommand } from './ignite-secret';
import { loginCommand } from './login';
import { resolveCommand } from './resolve';
import { setupDockerCommand } from './setup-docker';
import { setupGitCommand } from './setup-git';

/** Every CLI command, longest path first within a group. */
export const COMMANDS: readonly Command[] = [
  createCommand,
  listCommand,
  getCommand,
  deleteCommand,
  loginCommand,
  setupGitCommand,
  setupDockerCommand,
  resolveCommand,
];

/** Options every command accepts; a command's own option of the same name wins after the command words. */
export const GLOBAL_FLAGS: FlagSpec = {
  url: { kind: 'string' },
  token: { kind: 'string' },
  'ca-file': { kind: 'string' },
  output: { kind: 'string', alias: 'o' },
  help: { kind: 'boolean', alias: 'h' },
};

/** Top-level help. */
export function mainHelp(): string {
  const rows = COMMANDS.map((c) => `  dodil ${c.path.join(' ').padEnd(22)}${c.summary}`);
  return `${versionLine()}

usage: dodil [--url URL] [--token TOKEN] [--ca-file PEM] COMMAND [ARGS] [-o json]

${rows.join('\n')}
  dodil credential git ...      git credential helper (also: git-credential-dodil)
  dodil credential docker ...   docker credential helper (also: docker-credential-dodil)

Server: --url / DODIL_URL (default http://127.0.0.1:8700), token: --token / DODIL_TOKEN,
else the config file written by \`dodil login\`. DODIL_TIMEOUT_MS sets the request timeout;
--ca-file / DODIL_CA_FILE trusts a private CA for an https server.
Exit codes: 0 ok, 2 invalid argument, 3 unauthenticated, 4 permission denied, 5 not found,
6 already exists, 7 resource exhausted, 8 deadline exceeded, 9 server unreachable,
10 server internal error, 1 anything else. \`dodil COMMAND --help\` for details.
`;
}

/** Runs a `dodil ...` command line (not the credential-helper modes). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  // Global options before the command words.
  let i = 0;
  const leading: string[] = [];
  while (i < argv.length && (argv[i] ?? '').startsWith('-')) {
    const arg = argv[i] ?? '';
    leading.push(arg);
    const name = arg.includes('=') ? '' : arg.replace(/^--?/, '');
    const def = GLOBAL_FLAGS[name] ?? Object.values(GLOBAL_FLAGS).find((d) => d.alias === name);
    if (def?.kind === 'string' && i + 1 < argv.length) leading.push(argv[++i] ?? '');
    i++;
  }
  if (leading.length === 1 && (leading[0] === '--version' || leading[0] === '-V')) {
    io.stdout(`${versionLine()}\n`);
    return 0;
  }
  const global = parseArgs(leading, GLOBAL_FLAGS);
  let rest = argv.slice(i);
  if (rest[0] === 'version') {
    io.stdout(`${versionLine()}\n`);
    return 0;
  }
  if (rest[0] === 'help') rest = [...rest.slice(1), '--help'];
  const command = COMMANDS.find((c) => c.path.every((word, k) => rest[k] === word));
  if (!command) {
    if (boolFlag(global, 'help') || rest.length === 0 || rest.includes('--help') || rest.includes('-h')) {
      const group = rest.filter((w) => !w.startsWith('-'));
      const matching = COMMANDS.filter((c) => group.every((w, k) => c.path[k] === w));
      if (group.length > 0 && matching.length > 0) {
        io.stdout(`${matching.map((c) => c.usage).join('\n\n')}\n`);
        return 0;
      }
      if (rest.length === 0 && !boolFlag(global, 'help')) {
        io.stderr(mainHelp());
        return 2;
      }
      io.stdout(mainHelp());
      return 0;
    }
    throw usageError(
      `unknown command ${JSON.stringify(rest.filter((w) => !w.startsWith('-')).join(' '))}; see dodil --help`,
    );
  }
  const spec: FlagSpec = { ...GLOBAL_FLAGS, ...command.flags };
  const args = parseArgs(rest.slice(command.path.length), spec);
  if (boolFlag(global, 'help') || boolFlag(args, 'help')) {
    io.stdout(`${command.usage}\n`);
    return 0;
  }
  const output = stringFlag(args, 'output') ?? stringFlag(global, 'output');
  if (output !== undefined && output !== 'json' && output !== 'table' && output !== 'text') {
    throw usageError('-o must be json or text');
  }
  const own = (name: string) => name in command.flags;
  return command.run({
    io,
    args,
    json: output === 'json',
    global: {
      url: stringFlag(global, 'url') ?? (own('url') ? undefined : stringFlag(args, 'url')),
      token: stringFlag(global, 'token') ?? (own('token') ? undefined : stringFlag(args, 'token')),
      caFile: stringFlag(global, 'ca-file') ?? stringFlag(args, 'ca-file'),
    },
  });
}
