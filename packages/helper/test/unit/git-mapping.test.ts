import { describe, expect, it } from 'vitest';
import type { GitMapping } from '../../src/config';
import { matchGitMapping } from '../../src/git/mapping';

const mappings: GitMapping[] = [
  { url: 'git.example.com', slot: 'host-only' },
  { url: 'https://git.example.com', slot: 'https-host' },
  { url: 'https://git.example.com/acme/', slot: 'acme' },
  { url: 'https://git.example.com/acme/tools', slot: 'acme-tools' },
  { url: 'git.example.com:8443', slot: 'port' },
  { url: 'http://[::1]:8080', slot: 'ipv6' },
  { url: 'GitHub.com', slot: 'github' },
];

describe('matchGitMapping', () => {
  it.each([
    ['https, no path → scheme-qualified host', { protocol: 'https', host: 'git.example.com' }, 'https-host'],
    ['http, no path → host-only entry', { protocol: 'http', host: 'git.example.com' }, 'host-only'],
    ['path under acme', { protocol: 'https', host: 'git.example.com', path: 'acme/repo.git' }, 'acme'],
    ['longest path wins', { protocol: 'https', host: 'git.example.com', path: 'acme/tools/x.git' }, 'acme-tools'],
    ['prefix only at a / boundary', { protocol: 'https', host: 'git.example.com', path: 'acme-evil/x.git' }, 'https-host'],
    ['port is part of the host', { protocol: 'https', host: 'git.example.com:8443' }, 'port'],
    ['another port does not match', { protocol: 'https', host: 'git.example.com:9999' }, undefined],
    ['host case is ignored', { protocol: 'https', host: 'GITHUB.COM' }, 'github'],
    ['IPv6 keeps brackets', { protocol: 'http', host: '[::1]:8080' }, 'ipv6'],
    ['IPv6 on https does not match http pattern', { protocol: 'https', host: '[::1]:8080' }, undefined],
    ['unknown host', { protocol: 'https', host: 'evil.example.com' }, undefined],
    ['suffix of a mapped host does not match', { protocol: 'https', host: 'xgit.example.com' }, undefined],
  ])('%s', (_name, target, slot) => {
    expect(matchGitMapping(mappings, target)?.slot).toBe(slot);
  });

  it('the first of equally specific entries wins', () => {
    expect(matchGitMapping([{ url: 'h', slot: 'a' }, { url: 'h', slot: 'b' }], { protocol: 'https', host: 'h' })?.slot).toBe('a');
  });

  it('ignores entries that are not hosts or URLs', () => {
    expect(matchGitMapping([{ url: 'user@h', slot: 'a' }, { url: ' ', slot: 'b' }], { protocol: 'https', host: 'h' })).toBeUndefined();
  });
});
