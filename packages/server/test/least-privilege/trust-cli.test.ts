import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runServerCli } from '../../src/cli/run';
import type { CliIo } from '../../src/cli/io';
import { globMatches } from '../../src/services/oidc/claim-glob';
import { tempDir, testKeyB64 } from '../support/harness';
import { makeKey, startIdp } from './support/idp';

const KEY_B64 = testKeyB64(3);

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: { DODIL_MASTER_KEY: KEY_B64 },
    signal: new AbortController().signal,
    version: 'test',
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('dodil-server trust create|list|delete|test', () => {
  test('create from a JWKS file, list, test says which check fails, delete', async () => {
    const dir = tempDir();
    const idp = await startIdp();
    const jwks = join(dir, 'jwks.json');
    writeFileSync(jwks, idp.jwksJson());
    expect(await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io)).toBe(0);
    const create = [
      'trust',
      'create',
      '--org',
      'acme',
      '--name',
      'gha',
      '--issuer',
      idp.issuer,
      '--jwks-file',
      jwks,
      '--audience',
      'dodil',
      '--claim',
      'repository=acme/*',
      '--claim',
      'repository_owner_id=1234',
      '--scopes',
      'GetSecret',
      '--slots',
      'gh-*',
      '--ttl',
      '30m',
      '--data-dir',
      dir,
    ];
    const made = io();
    expect(await runServerCli(create, made.io)).toBe(0);
    expect(await runServerCli(create, io().io)).toBe(6); // ALREADY_EXISTS

    const list = io();
    expect(
      await runServerCli(['trust', 'list', '--org', 'acme', '-o', 'json', '--data-dir', dir], list.io),
    ).toBe(0);
    expect(JSON.parse(list.out())).toEqual([
      expect.objectContaining({
        name: 'gha',
        issuer: idp.issuer,
        jwks: 'file',
        slots: ['gh-*'],
        ttlSeconds: 1800,
        allowReexchange: false,
      }),
    ]);

    const now = Math.floor(Date.now() / 1000);
    const good = join(dir, 'good.jwt');
    writeFileSync(good, await idp.sign({}, { nowSeconds: now }));
    const ok = io();
    expect(await runServerCli(['trust', 'test', '--org', 'acme', good, '--data-dir', dir], ok.io)).toBe(0);
    expect(ok.out()).toMatch(/^accepted by trust gha/);
    const bad = join(dir, 'bad.jwt');
    writeFileSync(bad, await idp.sign({ repository: 'evil/app' }, { nowSeconds: now }));
    const refused = io();
    expect(await runServerCli(['trust', 'test', '--org', 'acme', bad, '--data-dir', dir], refused.io)).toBe(
      3,
    );
    expect(refused.out()).toMatch(/claim "repository" does not match/);
    const other = join(dir, 'other.jwt');
    writeFileSync(other, await idp.sign({}, { nowSeconds: now, key: await makeKey('k1') }));
    const sig = io();
    expect(await runServerCli(['trust', 'test', '--org', 'acme', other, '--data-dir', dir], sig.io)).toBe(3);
    expect(sig.out()).toMatch(/signature/);

    expect(await runServerCli(['trust', 'delete', '--org', 'acme', 'gha', '--data-dir', dir], io().io)).toBe(
      0,
    );
    expect(await runServerCli(['trust', 'delete', '--org', 'acme', 'gha', '--data-dir', dir], io().io)).toBe(
      5,
    );
  });

  test.each([
    [['--jwks-url', 'http://idp.example.com/jwks'], /https/],
    [['--jwks-url', 'https://user:pw@idp.example.com/jwks'], /credentials/],
    [['--jwks-url', 'https://a/jwks', '--ttl', '2h'], /1m to 1h/],
    [['--jwks-url', 'https://a/jwks', '--claim', 'novalue'], /NAME=GLOB/],
    [['--jwks-url', 'https://a/jwks', '--jwks-file', '/dev/null'], /exactly one/],
    [[], /exactly one/],
    [['--jwks-url', 'https://a/jwks', '--slots', 'a b'], /slot pattern/],
  ])('refuses %j', async (extra, message) => {
    const dir = tempDir();
    await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io);
    const run = io();
    const base = [
      'trust',
      'create',
      '--org',
      'acme',
      '--name',
      't',
      '--issuer',
      'https://i',
      '--audience',
      'a',
      '--scopes',
      'GetSecret',
    ];
    const code = await runServerCli([...base, ...extra, '--data-dir', dir], run.io);
    expect(code).not.toBe(0);
    expect(run.err()).toMatch(message);
  });

  test('a JWKS file with a private key is refused', async () => {
    const dir = tempDir();
    await runServerCli(['org', 'create', 'acme', '--data-dir', dir], io().io);
    const file = join(dir, 'private.json');
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }] }));
    const run = io();
    const argv = [
      'trust',
      'create',
      '--org',
      'acme',
      '--name',
      't',
      '--issuer',
      'https://i',
      '--audience',
      'a',
      '--scopes',
      'GetSecret',
      '--jwks-file',
      file,
      '--data-dir',
      dir,
    ];
    expect(await runServerCli(argv, run.io)).toBe(2);
    expect(run.err()).toMatch(/public keys only/);
  });
});

describe('claim globs match whole values', () => {
  test.each([
    ['acme/*', 'acme/app', true],
    ['acme/*', 'acme/', true],
    ['acme/*', 'evil/acme/app', false],
    ['acme/*', 'acme', false],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/app:ref:refs/heads/main', true],
    ['repo:acme/*:ref:refs/heads/main', 'repo:acme/app:ref:refs/heads/main-evil', false],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['1234', '1234', true],
    ['1234', '12345', false],
  ])('%s vs %s → %s', (glob, value, want) => {
    expect(globMatches(glob, value)).toBe(want);
  });
});
