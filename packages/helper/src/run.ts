import { exitCodeFor } from '@dodil/shared';
import { CredentialsNotFound, DockerHelperError, NOT_FOUND } from './docker/protocol';
import { runDockerHelper } from './docker/handler';
import { isCliError, oneLine } from './errors';
import { runGitHelper } from './git/handler';
import type { Io } from './io';
import { versionLine } from './version';

/** Which personality a run has. */
export type Mode = { kind: 'git' | 'docker' | 'cli'; args: string[] };

const GIT_ACTIONS = new Set(['get', 'store', 'erase']);

/** `/usr/local/bin/git-credential-dodil.exe` → `git-credential-dodil` */
export function programBaseName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? '';
  return base.replace(/\.(exe|cjs|mjs|js)$/i, '');
}

/**
 * Chooses the personality from the program names (argv[1], argv0: links or
 * copies named `git-credential-*` / `docker-credential-*`) and the arguments:
 * `dodil credential git|docker ...`, `dodil --slot NAME get` (what git runs for
 * `credential.helper = "/path/dodil --slot NAME"`), and a lone git action.
 */
export function selectMode(programNames: readonly (string | undefined)[], args: readonly string[]): Mode {
  for (const name of programNames) {
    if (name === undefined) continue;
    const base = programBaseName(name);
    if (base.startsWith('git-credential-')) return { kind: 'git', args: [...args] };
    if (base.startsWith('docker-credential-')) return { kind: 'docker', args: [...args] };
  }
  if (args[0] === 'credential' && args[1] === 'git') return { kind: 'git', args: args.slice(2) };
  if (args[0] === 'credential' && args[1] === 'docker') return { kind: 'docker', args: args.slice(2) };
  if (args[0] === '--slot' || args[0]?.startsWith('--slot=')) return { kind: 'git', args: [...args] };
  if (args.length === 1 && GIT_ACTIONS.has(args[0] ?? '')) return { kind: 'git', args: [...args] };
  return { kind: 'cli', args: [...args] };
}

/**
 * Runs one invocation and returns the exit code. The one top-level catch
 * lives here, with each personality's policy:
 * - git: never a stdout line on failure; the reason on stderr; exit 0, so git
 *   moves on to its next helper or prompt;
 * - docker: the message on stdout with exit 1 (the not-found sentence for
 *   "no credential", plus the reason on stderr);
 * - cli: one stderr line, exit code by gRPC code (docs/contract.md#exit-codes), 1 for the rest.
 */
export async function run(
  programNames: readonly (string | undefined)[],
  argv: readonly string[],
  io: Io,
): Promise<number> {
  const mode = selectMode(programNames, argv);
  try {
    if (mode.kind === 'git') return await runGitHelper(mode.args, io);
    if (mode.kind === 'docker') return await runDockerHelper(mode.args, io);
    if (mode.args.length === 1 && (mode.args[0] === '--version' || mode.args[0] === '-V')) {
      io.stdout(`${versionLine()}\n`);
      return 0;
    }
    // Everything else is off the credential hot path: load it only now.
    const { runCli } = await import('./commands/cli');
    return await runCli(mode.args, io);
  } catch (error) {
    return report(mode, error, io);
  }
}

function report(mode: Mode, error: unknown, io: Io): number {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (mode.kind === 'git') {
    io.stderr(`dodil: ${message}\n`);
    return isCliError(error) && error.code === 'INVALID_ARGUMENT' && mode.args.length === 0 ? 2 : 0;
  }
  if (mode.kind === 'docker') {
    if (error instanceof CredentialsNotFound) {
      io.stderr(`dodil: ${message}\n`);
      io.stdout(`${NOT_FOUND}\n`);
    } else if (error instanceof DockerHelperError || isCliError(error)) {
      io.stdout(`${message}\n`);
    } else {
      io.stdout(`dodil: internal error: ${message}\n`);
    }
    return 1;
  }
  if (isCliError(error)) {
    // The CLI keeps a message's own lines (the problem, a hint, the usage), each made safe.
    const text = error.message
      .split('\n')
      .map((line) => oneLine(line))
      .join('\n')
      .trimEnd();
    io.stderr(`dodil: ${text}\n`);
    return exitCodeFor(error.code);
  }
  io.stderr(`dodil: internal error: ${message}\n`);
  return 1;
}
