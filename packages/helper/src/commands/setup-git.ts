import { execFile } from 'node:child_process';
import { isSlotName, SLOT_NAME_RULE } from '@dodil/shared';
import { CliError, usageError } from '../errors';
import type { Io } from '../io';
import { stringFlag } from './argv';
import type { Command } from './context';
import { helperOnPath } from './path-lookup';
import { formatJson } from './output';

const USAGE = `usage: dodil setup git --url URL --slot NAME [-o json]

Adds credential.<URL>.helper = "dodil --slot NAME" to your global git config
(git config --global), so git asks dodil for that URL. Other helpers are kept;
an earlier "dodil --slot ..." entry for the same URL is replaced. Running it
twice changes nothing.`;

/** Runs git with the caller's environment; resolves with exit code and stdout. */
export function runGit(io: Io, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { env: { ...io.env }, timeout: 10_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new CliError('FAILED_PRECONDITION', `cannot run git: ${String(error.code ?? error.message)}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** `dodil setup git` */
export const setupGitCommand: Command = {
  path: ['setup', 'git'],
  summary: 'make git use a slot for a URL',
  usage: USAGE,
  flags: { url: { kind: 'string' }, slot: { kind: 'string' } },
  async run(ctx) {
    if (ctx.args.positionals.length > 0) throw usageError(`unexpected argument ${JSON.stringify(ctx.args.positionals[0])}`);
    const url = stringFlag(ctx.args, 'url');
    const slot = stringFlag(ctx.args, 'slot');
    if (url === undefined || slot === undefined) throw usageError(`--url and --slot are required\n${USAGE}`);
    if (!isSlotName(slot)) throw usageError(`invalid slot name ${JSON.stringify(slot)}: ${SLOT_NAME_RULE}`);
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/i.test(url)) {
      throw usageError(`--url must be an http:// or https:// URL such as https://git.example.com, not ${JSON.stringify(url)}`);
    }
    const key = `credential.${url}.helper`;
    const value = `dodil --slot ${slot}`;
    const current = await runGit(ctx.io, ['config', '--global', '--get-all', key]);
    const values = current.code === 0 ? current.stdout.split('\n').filter((v) => v !== '') : [];
    let change: 'unchanged' | 'added' | 'replaced';
    let previous: string[] = [];
    if (values.includes(value) && values.filter((v) => v.startsWith('dodil --slot ')).length === 1) {
      change = 'unchanged';
    } else {
      previous = values.filter((v) => v.startsWith('dodil --slot '));
      // --replace-all with a value pattern touches only our own entries; other helpers stay.
      const args =
        previous.length > 0
          ? ['config', '--global', '--replace-all', key, value, '^dodil --slot ']
          : ['config', '--global', '--add', key, value];
      const result = await runGit(ctx.io, args);
      if (result.code !== 0) throw new CliError('FAILED_PRECONDITION', `git config failed: ${result.stderr.trim()}`);
      change = previous.length > 0 ? 'replaced' : 'added';
    }
    if (!helperOnPath(ctx.io.env, 'git-credential-dodil')) {
      ctx.io.stderr('dodil: warning: git-credential-dodil is not on PATH; git will not find the helper (install the links next to dodil)\n');
    }
    if (ctx.json) ctx.io.stdout(formatJson({ key, value, change, previous }));
    else {
      const was = previous.length > 0 ? ` (was ${previous.map((p) => JSON.stringify(p)).join(', ')})` : '';
      ctx.io.stdout(`git config --global ${key} = ${JSON.stringify(value)}: ${change}${was}\n`);
    }
    return 0;
  },
};
