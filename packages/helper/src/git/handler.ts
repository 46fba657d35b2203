import { CliError, usageError } from '../errors';
import { readUntilBlankLine, StdinTooLargeError, type Io } from '../io';
import { dodilGitBackend, type GitBackend } from './backend';
import type { GitTarget } from './mapping';
import {
  formatGitCredential,
  MAX_INPUT_BYTES,
  parseGitCredential,
  type GitCredentialRequest,
} from './protocol';

/** Usage of the git credential helper mode. */
export const GIT_USAGE = `usage: git-credential-dodil [--slot NAME] [--url SERVER_URL] [--ca-file PEM] get|store|erase
       dodil credential git [--slot NAME] [--url SERVER_URL] [--ca-file PEM] get|store|erase

Speaks git's credential-helper protocol. Configure it with
  dodil setup git --url https://git.example.com --slot NAME
which sets credential.<url>.helper to "dodil --slot NAME".
get answers from the git slot NAME (or the slot mapped to the host in the
client config); store and erase never change the server.`;

/** Parsed helper arguments; the action is always git's last argument. */
export interface GitArgs {
  slot?: string;
  url?: string;
  caFile?: string;
  action: string;
  help: boolean;
  ignored: string[];
}

/** Parses `[--slot NAME] [--url URL] [--ca-file PEM] ... ACTION`; unknown options are collected, not fatal (forward compatibility). */
export function parseGitArgs(args: readonly string[]): GitArgs {
  const out: GitArgs = { action: '', help: false, ignored: [] };
  if (args.length === 0) return out;
  const options = args.slice(0, -1);
  const last = args[args.length - 1] ?? '';
  if (last === '--help' || last === '-h') return { ...out, help: true };
  out.action = last;
  for (let i = 0; i < options.length; i++) {
    const arg = options[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : undefined;
    if (name === '--slot' || name === '--url' || name === '--ca-file') {
      const value = inline ?? options[++i];
      if (value === undefined || value === '') throw usageError(`${name} needs a value`);
      if (name === '--slot') out.slot = value;
      else if (name === '--url') out.url = value;
      else out.caFile = value;
    } else if (name === '--help' || name === '-h') {
      out.help = true;
    } else {
      out.ignored.push(arg);
    }
  }
  return out;
}

/**
 * The git helper: arguments, stdin, then {@link handleGitCommand} with the
 * dodil backend. stdout carries protocol lines only, and only on a
 * successful `get`; every "nothing to offer" is a {@link CliError} that the
 * caller (run.ts) reports on stderr with exit 0, so git falls through.
 */
export async function runGitHelper(args: readonly string[], io: Io): Promise<number> {
  const opts = parseGitArgs(args);
  if (opts.help) {
    io.stdout(`${GIT_USAGE}\n`);
    return 0;
  }
  if (opts.action === '') throw usageError(`no action given\n${GIT_USAGE}`);
  if (opts.action === 'get' && opts.ignored.length > 0) {
    // Option names only: a value given in the helper line (say an API token) must not reach stderr.
    const names = opts.ignored.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]);
    io.stderr(
      `dodil: ignoring ${opts.ignored.length} unknown helper argument(s)${names.length > 0 ? `: ${names.join(' ')}` : ''}\n`,
    );
  }
  return handleGitCommand(dodilGitBackend(opts, io), opts.action, io);
}

/**
 * git's credential-helper protocol around any {@link GitBackend}, as
 * docker-credential-helpers' `HandleCommand(helper, action, in, out)`:
 * reads the request from `io.stdin`, answers `get` on `io.stdout`, reports
 * `erase` on `io.stderr`, ignores `store` and unknown actions.
 */
export async function handleGitCommand(backend: GitBackend, action: string, io: Io): Promise<number> {
  // Unknown actions must be ignored silently (git's forward-compatibility rule).
  if (!['get', 'store', 'erase'].includes(action)) return 0;
  let request: GitCredentialRequest;
  try {
    request = parseGitCredential(await readUntilBlankLine(io.stdin(), MAX_INPUT_BYTES));
  } catch (error) {
    if (error instanceof StdinTooLargeError)
      throw new CliError('INVALID_ARGUMENT', `credential request refused: ${error.message}`);
    throw error;
  }
  if (action === 'store') return 0;
  const target = targetOf(request);
  if (action === 'erase') {
    if (!target) return 0;
    const line = await backend.erase(target, {
      username: request.attributes.get('username'),
      password: request.attributes.get('password'),
    });
    if (line !== undefined) io.stderr(`dodil: ${line}\n`);
    return 0;
  }
  if (!target) throw new CliError('INVALID_ARGUMENT', 'git sent no protocol and host; nothing to answer');
  if (target.protocol !== 'https' && target.protocol !== 'http') {
    throw new CliError('INVALID_ARGUMENT', `not answering for ${target.protocol}:// (only http and https)`);
  }
  const { username, password } = await backend.get(target, request.attributes.get('username'));
  io.stdout(
    formatGitCredential([
      ['username', username],
      ['password', password],
    ]),
  );
  return 0;
}

// protocol/host as git sends them; `url=` only comes from direct callers of the plumbing.
function targetOf(request: GitCredentialRequest): GitTarget | undefined {
  const protocol = request.attributes.get('protocol');
  const host = request.attributes.get('host');
  if (protocol !== undefined && host !== undefined) {
    return { protocol: protocol.toLowerCase(), host, path: request.attributes.get('path') };
  }
  const url = request.attributes.get('url');
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    const path = u.pathname.replace(/^\//, '');
    return { protocol: u.protocol.replace(/:$/, ''), host: u.host, path: path === '' ? undefined : path };
  } catch {
    return undefined;
  }
}
