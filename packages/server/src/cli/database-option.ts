import { readFileSync } from 'node:fs';
import { ConfigError } from '../config';
import type { Env } from '../config';

/** Which engine holds the store: the embedded SQLite file of the data dir, or a PostgreSQL URL. */
export type DatabaseChoice = { engine: 'sqlite' } | { engine: 'postgres'; url: string };

/** The `--database` flag every subcommand takes (docs/contract.md#storage-engines-and-high-availability). */
export const DATABASE_OPTION = { database: { type: 'string' } } as const;

/**
 * Resolves the store: `--database URL`, then `DODIL_DATABASE_URL`, then the first line of the file
 * named by `DODIL_DATABASE_URL_FILE`; none of them means the embedded SQLite store. A password in
 * the `--database` flag is refused: argv is visible to every user of the machine (`ps`); give it
 * in the environment, the file, `PGPASSWORD` or `~/.pgpass` instead.
 */
export function resolveDatabase(flag: string | undefined, env: Env): DatabaseChoice {
  if (flag !== undefined) {
    const url = parseUrl(flag, '--database');
    if (url === undefined) return { engine: 'sqlite' };
    if (new URL(url).password !== '') {
      throw new ConfigError(
        '--database must not carry a password (argv is visible to other users); use DODIL_DATABASE_URL, DODIL_DATABASE_URL_FILE, PGPASSWORD or ~/.pgpass',
      );
    }
    return { engine: 'postgres', url };
  }
  const fromEnv = env.DODIL_DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    const url = parseUrl(fromEnv, 'DODIL_DATABASE_URL');
    return url === undefined ? { engine: 'sqlite' } : { engine: 'postgres', url };
  }
  const file = env.DODIL_DATABASE_URL_FILE;
  if (file !== undefined && file !== '') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(`cannot read DODIL_DATABASE_URL_FILE ${file}`);
    }
    const url = parseUrl(text.split('\n')[0]?.trim() ?? '', `DODIL_DATABASE_URL_FILE ${file}`);
    return url === undefined ? { engine: 'sqlite' } : { engine: 'postgres', url };
  }
  return { engine: 'sqlite' };
}

/** A postgres URL, `undefined` for `sqlite` (the embedded default, spelled out); anything else is an error. */
function parseUrl(text: string, label: string): string | undefined {
  if (text === 'sqlite' || text === 'embedded') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Never echo the text: it may hold a password.
    throw new ConfigError(`${label} is not a URL; expected postgres://user@host:port/database or "sqlite"`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${label}: only postgres:// URLs are supported (got ${url.protocol}//…)`);
  }
  if (url.hostname === '' || url.pathname.length < 2) {
    throw new ConfigError(`${label} must name a host and a database: postgres://user@host:port/database`);
  }
  return text;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}
