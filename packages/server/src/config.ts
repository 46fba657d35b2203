import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseMasterKey } from './crypto/master-key';

/** Environment variables the server reads (only main.ts passes process.env in). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A `host:port` listen address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Raised for an operator mistake in flags, env or files; the message is shown as is. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The dev-mode key file name inside the data directory. */
export const DEV_KEY_FILE = 'master.key';

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListen(text: string, flag = '--listen'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(`${flag} must be host:port (e.g. 127.0.0.1:8700), got "${text}"`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Creates the data directory (0700) when missing. */
export function ensureDataDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) throw new ConfigError(`data dir ${dir} is not a directory`);
}

/** Where the master key comes from; first match wins. */
export interface MasterKeySources {
  flagFile: string | undefined;
  env: Env;
  dataDir: string;
  dev: boolean;
  /** Create the dev key file when it is missing (only `start --dev`). */
  generateDev: boolean;
}

/** The resolved master key and a description of where it came from (never the key). */
export interface ResolvedMasterKey {
  key: Uint8Array;
  source: string;
  generated: boolean;
}

/** Reads a base64 master key file; `label` names it in errors (never the key). */
export function readKeyFile(file: string, label = 'master key file'): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read ${label} ${file}`);
  }
  try {
    return parseMasterKey(text, `${label} ${file}`);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/**
 * Resolves the master key: `--master-key-file`, then `DODIL_MASTER_KEY`
 * (base64 of 32 bytes), then `DODIL_MASTER_KEY_FILE`, then with `--dev` the
 * key file in the data dir. There is no default key: without one, refuse.
 */
export function resolveMasterKey(s: MasterKeySources): ResolvedMasterKey {
  if (s.flagFile !== undefined) return { key: readKeyFile(s.flagFile), source: s.flagFile, generated: false };
  const envKey = s.env.DODIL_MASTER_KEY;
  if (envKey !== undefined && envKey !== '') {
    try {
      return {
        key: parseMasterKey(envKey, 'DODIL_MASTER_KEY'),
        source: 'DODIL_MASTER_KEY',
        generated: false,
      };
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  const envFile = s.env.DODIL_MASTER_KEY_FILE;
  if (envFile !== undefined && envFile !== '')
    return { key: readKeyFile(envFile), source: envFile, generated: false };
  if (s.dev) {
    const file = join(s.dataDir, DEV_KEY_FILE);
    if (existsSync(file)) return { key: readKeyFile(file), source: file, generated: false };
    if (s.generateDev) {
      ensureDataDir(s.dataDir);
      const key = new Uint8Array(randomBytes(32));
      writeFileSync(file, `${Buffer.from(key).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
      return { key, source: file, generated: true };
    }
    throw new ConfigError(`no dev key file ${file}; start the server once with --dev to create it`);
  }
  throw new ConfigError(
    'no master key: set DODIL_MASTER_KEY (base64 of 32 bytes) or DODIL_MASTER_KEY_FILE, or pass --master-key-file; ' +
      'for a throwaway local setup use --dev',
  );
}
