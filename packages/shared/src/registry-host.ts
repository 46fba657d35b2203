/**
 * Docker registry host normalisation (protocols.md §2.5). Clients spell the
 * same registry many ways (`https://index.docker.io/v1/`, `docker.io`,
 * `HOST:443`, `host/repo`); the helper and the server compare registries by the
 * key this module computes.
 */

/** The key every Docker Hub spelling, and an empty server address, maps to. */
export const DOCKER_HUB_KEY = 'docker.io';

/** What the docker CLI calls Docker Hub in config.json and `list` output. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// host[:port] where host is a DNS name or an IPv4 address, or a bracketed IPv6 literal.
const HOST_PORT =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/**
 * The comparison key of a registry server string, or `undefined` when the
 * string cannot name a registry. An empty string is Docker Hub.
 *
 * @example normaliseRegistryHost('https://index.docker.io/v1/') // 'docker.io'
 * @example normaliseRegistryHost('HTTPS://Ghcr.IO:443/owner/repo') // 'ghcr.io'
 * @example normaliseRegistryHost('127.0.0.1:5000') // '127.0.0.1:5000'
 */
export function normaliseRegistryHost(raw: string): string | undefined {
  let s = raw.trim();
  if (s.length > 1024) return undefined;
  if (s === '') return DOCKER_HUB_KEY;
  let scheme = '';
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(s);
  if (schemeMatch) {
    scheme = (schemeMatch[1] ?? '').toLowerCase();
    s = s.slice(schemeMatch[0].length);
  }
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  s = s.toLowerCase();
  // user info is never part of a registry key
  if (s.includes('@')) return undefined;
  const m = HOST_PORT.exec(s);
  if (!m) return undefined;
  const port = m[1];
  if (port !== undefined) {
    const n = Number(port);
    if (n < 1 || n > 65535) return undefined;
    if (n === 443 || (n === 80 && scheme === 'http')) s = s.slice(0, s.length - port.length - 1);
  }
  if (HUB_ALIASES.has(s)) return DOCKER_HUB_KEY;
  return s;
}

/** The server URL to report for a key (`list`, config files): Hub's is the docker CLI's. */
export function serverUrlForKey(key: string): string {
  return key === DOCKER_HUB_KEY ? DOCKER_HUB_SERVER_URL : key;
}
