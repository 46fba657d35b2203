import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors';
import { writeFileAtomic } from './fs-util';

/** One git mapping: a host (`git.example.com:8443`) or URL prefix (`https://github.com/acme/`) and a slot. */
export interface GitMapping {
  url: string;
  slot: string;
}

/**
 * The client config file (`dodil login` writes it, mode 0600):
 * `{"url", "token", "mappings": {"git": [{url, slot}], "docker": {host: slot}}}`.
 * Keys we do not know are kept as they are when we rewrite the file.
 */
export interface ClientConfig {
  url?: string;
  token?: string;
  /** A PEM file of the CA that signed the server's certificate (a private CA). */
  caFile?: string;
  mappings: { git: GitMapping[]; docker: Record<string, string> };
  /** Every top-level key of the file as read, so a rewrite loses nothing. */
  raw: Record<string, unknown>;
}

/** An empty config, as when no file exists. */
export function emptyConfig(): ClientConfig {
  return { mappings: { git: [], docker: {} }, raw: {} };
}

/**
 * Where the config file lives: `DODIL_CONFIG`, else
 * `$XDG_CONFIG_HOME/dodil/config.json`, else `~/.config/dodil/config.json`.
 */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.DODIL_CONFIG) return env.DODIL_CONFIG;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'dodil', 'config.json');
  if (!env.HOME)
    throw new CliError('FAILED_PRECONDITION', 'cannot locate the config file: set HOME or DODIL_CONFIG');
  return join(env.HOME, '.config', 'dodil', 'config.json');
}

/** Reads the config file; a missing file is an empty config, a broken one an error naming the file. */
export function loadConfig(path: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new CliError(
      'FAILED_PRECONDITION',
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  return parseConfig(text, path);
}

// Hand-written rather than zod: this runs on every git/docker credential
// request, and loading zod alone costs ~15 ms of start-up (see docs/helper.md).
/** Parses and checks the config file's text. */
export function parseConfig(text: string, path: string): ClientConfig {
  const bad = (what: string) => new CliError('FAILED_PRECONDITION', `config file ${path}: ${what}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw bad('not valid JSON');
  }
  if (!isRecord(data)) throw bad('must be a JSON object');
  const config = emptyConfig();
  config.raw = data;
  if (data.url !== undefined) {
    if (typeof data.url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(data.url))
      throw bad('"url" must be an http(s) URL');
    config.url = data.url;
  }
  if (data.token !== undefined) {
    if (typeof data.token !== 'string' || data.token === '' || /\s/.test(data.token)) {
      throw bad('"token" must be a non-empty string without spaces');
    }
    config.token = data.token;
  }
  if (data.caFile !== undefined) {
    if (!isText(data.caFile)) throw bad('"caFile" must be the path of a PEM file');
    config.caFile = data.caFile;
  }
  const mappings = data.mappings;
  if (mappings === undefined) return config;
  if (!isRecord(mappings)) throw bad('"mappings" must be an object');
  if (mappings.git !== undefined) {
    if (!Array.isArray(mappings.git)) throw bad('"mappings.git" must be a list of {"url", "slot"}');
    mappings.git.forEach((entry: unknown, i: number) => {
      if (!isRecord(entry) || !isText(entry.url) || !isText(entry.slot)) {
        throw bad(`"mappings.git[${i}]" must be {"url": "<host or URL prefix>", "slot": "<slot name>"}`);
      }
      config.mappings.git.push({ url: entry.url, slot: entry.slot });
    });
  }
  if (mappings.docker !== undefined) {
    if (!isRecord(mappings.docker))
      throw bad('"mappings.docker" must be an object {"<registry host>": "<slot name>"}');
    for (const [host, slot] of Object.entries(mappings.docker)) {
      if (!isText(slot)) throw bad(`"mappings.docker[${JSON.stringify(host)}]" must be a slot name`);
      config.mappings.docker[host] = slot;
    }
  }
  return config;
}

/** Writes the config file atomically with mode 0600 (directory 0700), keeping unknown keys. */
export function saveConfig(path: string, config: ClientConfig): void {
  const out: Record<string, unknown> = { ...config.raw };
  delete out.url;
  delete out.token;
  delete out.mappings;
  const ordered: Record<string, unknown> = {};
  if (config.url !== undefined) ordered.url = config.url;
  if (config.token !== undefined) ordered.token = config.token;
  const rawMappings = isRecord(config.raw.mappings) ? config.raw.mappings : {};
  ordered.mappings = { ...rawMappings, git: config.mappings.git, docker: config.mappings.docker };
  writeFileAtomic(path, `${JSON.stringify({ ...ordered, ...out }, null, 2)}\n`, 0o600);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
