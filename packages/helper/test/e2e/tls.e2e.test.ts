// The CLI and both helpers against the real server over TLS with a certificate from a private CA
// (issue 13 item 10, client side; issue 17's TLS message): untrusted without the CA, with a message
// saying how to fix it; trusted with --ca-file, DODIL_CA_FILE or the caFile saved by login.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers';
import { clientEnv, helperBin, requireTools, sh, startDodilServer } from './harness';

beforeEach(() => requireTools('openssl', 'git'));

/** A private CA and a server certificate for 127.0.0.1 signed by it. */
function privateCa(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=dodil e2e private CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.pem'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

describe('a private CA (--ca-file / DODIL_CA_FILE)', { timeout: 120_000 }, () => {
  it('the CLI, the git helper and the docker helper trust the server only with the CA', async () => {
    const dir = tempDir('dodil-e2e-tls-');
    const pki = privateCa(dir);
    const server = await startDodilServer(dir, ['--tls-cert', pki.cert, '--tls-key', pki.key]);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const bin = helperBin(dir);
    const env: NodeJS.ProcessEnv = { ...clientEnv(dir, server, bin), NODE_EXTRA_CA_CERTS: '' };
    const dodil = (args: string[], e: NodeJS.ProcessEnv = env, input?: string) =>
      sh(join(bin, 'dodil'), args, e, { input });

    const untrusted = dodil(['ignite', 'secret', 'list']);
    expect(untrusted.code).toBe(9);
    expect(untrusted.stderr).toMatch(
      /^dodil: cannot reach server at https:\/\/127\.0\.0\.1:\d+: the server's TLS certificate is not trusted \([A-Z_]+\); if it is signed by a private CA, pass --ca-file CA\.pem or set DODIL_CA_FILE\n$/,
    );
    expect(
      dodil(
        [
          '--ca-file',
          pki.ca,
          'ignite',
          'secret',
          'create',
          'gh',
          '--type',
          'git',
          '--username',
          'alice',
          '--token-stdin',
        ],
        env,
        'tok',
      ).code,
    ).toBe(0);
    expect(
      dodil(
        [
          'ignite',
          'secret',
          'create',
          'reg',
          '--type',
          'registry',
          '--username',
          'bob',
          '--password-stdin',
          '--server-address',
          'r.example',
          '--ca-file',
          pki.ca,
        ],
        env,
        'pw',
      ).code,
    ).toBe(0);
    const withEnv = { ...env, DODIL_CA_FILE: pki.ca };
    expect(dodil(['ignite', 'secret', 'list'], withEnv).stdout).toMatch(/^NAME\s+TYPE\s+UPDATED\ngh\s+git/);

    // a CA that did not sign it: says so
    const other = privateCa(tempDir('dodil-e2e-tls-other-'));
    expect(dodil(['ignite', 'secret', 'list'], { ...env, DODIL_CA_FILE: other.ca }).stderr).toContain(
      'the --ca-file / DODIL_CA_FILE given does not contain the CA that signed it',
    );
    // the name in --url must be one the certificate was issued for
    const byName = dodil(['ignite', 'secret', 'list'], {
      ...withEnv,
      DODIL_URL: server.url.replace('127.0.0.1', 'localhost'),
    });
    expect(byName.stderr).toContain(
      "the server's TLS certificate is not for localhost (ERR_TLS_CERT_ALTNAME_INVALID)",
    );

    // the helpers: git (flag on the helper line, or the environment) and docker (environment)
    const req = 'protocol=https\nhost=git.example.com\n\n';
    expect(sh('git-credential-dodil', ['--slot', 'gh', 'get'], env, { input: req }).stdout).toBe('');
    expect(
      sh('git-credential-dodil', ['--slot', 'gh', '--ca-file', pki.ca, 'get'], env, { input: req }).stdout,
    ).toBe('username=alice\npassword=tok\n');
    expect(sh('git-credential-dodil', ['--slot', 'gh', 'get'], withEnv, { input: req }).stdout).toBe(
      'username=alice\npassword=tok\n',
    );
    expect(sh('docker-credential-dodil', ['get'], env, { input: 'r.example' }).stdout).toBe(
      'credentials not found in native keychain\n',
    );
    expect(
      JSON.parse(sh('docker-credential-dodil', ['get'], withEnv, { input: 'r.example' }).stdout),
    ).toEqual({ ServerURL: 'r.example', Username: 'bob', Secret: 'pw' });

    // login saves the CA, so git and docker (which start the helpers without our flags) trust it
    const login = dodil(
      ['login', '--url', server.url, '--ca-file', pki.ca, '--token-stdin'],
      { ...env, DODIL_URL: '', DODIL_TOKEN: '' },
      server.devToken,
    );
    expect(login.code).toBe(0);
    expect((JSON.parse(readFileSync(env.DODIL_CONFIG ?? '', 'utf8')) as { caFile: unknown }).caFile).toBe(
      pki.ca,
    );
    const fromConfig = { ...env, DODIL_URL: '', DODIL_TOKEN: '' };
    expect(sh('docker-credential-dodil', ['get'], fromConfig, { input: 'r.example' }).code).toBe(0);
    const fill = sh('git', ['-c', 'credential.helper=dodil --slot gh', 'credential', 'fill'], fromConfig, {
      input: 'url=https://git.example.com/x.git\n\n',
    });
    expect(fill.stdout).toContain('password=tok\n');
  });

  it('--url with the API path gets a message saying the URL is the server root', async () => {
    const dir = tempDir('dodil-e2e-url-');
    const bin = helperBin(dir);
    const r = sh(join(bin, 'dodil'), ['--url', 'http://127.0.0.1:8700/v1', 'ignite', 'secret', 'list'], {
      ...process.env,
      DODIL_TOKEN: 't',
      DODIL_CONFIG: join(dir, 'c.json'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'dodil: --url is the server root, such as http://127.0.0.1:8700, not an API path: drop "/v1"\n',
    );
  });
});
