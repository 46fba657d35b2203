import { execFile } from 'node:child_process';
import { CliError } from '../errors';
import type { Io } from '../io';

/** Runs git with the caller's environment; resolves with exit code and output. */
export function runGit(
  io: Io,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
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

/** One `credential[.<url>].helper` entry from any git config file, in the order git reads them. */
export interface HelperEntry {
  /** `system`, `global`, `local`, `worktree` or `command`. */
  scope: string;
  /** The URL part of the key (`''` for plain `credential.helper`). */
  url: string;
  key: string;
  value: string;
}

/**
 * Every credential helper entry git would consider for `target`, in git's
 * order (system, global, local; lines in file order). git applies all
 * matching entries in that order, an empty value clearing the list so far.
 */
export async function helperEntriesFor(io: Io, target: string): Promise<HelperEntry[]> {
  const r = await runGit(io, ['config', '--show-scope', '-z', '--get-regexp', '^credential\\..*helper$']);
  if (r.code !== 0) return [];
  const out: HelperEntry[] = [];
  const fields = r.stdout.split('\0');
  // -z with --show-scope: "scope\0key\nvalue\0" per entry.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i] ?? '';
    const rest = fields[i + 1] ?? '';
    const nl = rest.indexOf('\n');
    const key = nl < 0 ? rest : rest.slice(0, nl);
    const value = nl < 0 ? '' : rest.slice(nl + 1);
    const m = /^credential\.(?:(.*)\.)?helper$/i.exec(key);
    if (!m) continue;
    const url = m[1] ?? '';
    if (url === '' || gitUrlMatches(url, target)) out.push({ scope, url, key, value });
  }
  return out;
}

/** The helpers git would actually run for the entries, after empty values cleared the list. */
export function effectiveHelpers(entries: readonly HelperEntry[]): HelperEntry[] {
  let list: HelperEntry[] = [];
  for (const e of entries) list = e.value === '' ? [] : [...list, e];
  return list;
}

/** True for a helper value that runs dodil (`dodil --slot x`, `!dodil credential git`, a path to it). */
export function isDodilHelper(value: string): boolean {
  return /(?:^|[\s/!])(?:git-credential-)?dodil(?:\s|$)/.test(value);
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * git's `credential.<url>` matching (urlmatch.c, simplified): same scheme,
 * same host (case-insensitive; a `*.` label matches one label), same port,
 * the config path a prefix of the request path at a `/` boundary, and a user
 * in the config URL must be the request's user.
 */
export function gitUrlMatches(pattern: string, target: string): boolean {
  const p = splitUrl(pattern);
  const t = splitUrl(target);
  if (!p || !t) return false;
  if (p.scheme !== t.scheme) return false;
  if (p.user !== undefined && p.user !== t.user) return false;
  if ((p.port || DEFAULT_PORTS[p.scheme]) !== (t.port || DEFAULT_PORTS[t.scheme])) return false;
  const ph = p.host.split('.');
  const th = t.host.split('.');
  if (ph.length !== th.length || ph.some((label, i) => label !== '*' && label !== th[i])) return false;
  const pp = p.path.split('/').filter((s) => s !== '');
  const tp = t.path.split('/').filter((s) => s !== '');
  return pp.every((seg, i) => tp[i] === seg);
}

function splitUrl(
  url: string,
): { scheme: string; user?: string; host: string; port: string; path: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::(\d*))?(\/.*)?$/i.exec(url.trim());
  if (!m) return undefined;
  const user = m[2] === undefined ? undefined : decodeURIComponent(m[2].split(':')[0] ?? '');
  return {
    scheme: (m[1] ?? '').toLowerCase(),
    user,
    host: (m[3] ?? '').toLowerCase(),
    port: m[4] ?? '',
    path: m[5] ?? '',
  };
}
