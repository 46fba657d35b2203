import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { ensureBinaries, installOutsideCheckout } from './support/binaries';
import type { Install } from './support/binaries';
import { runProcess, startServer } from './support/processes';
import { newWorld } from './support/world';
import type { World } from './support/world';

// `dodil` and its git/docker links as single executables, against a `dodil-server` executable,
// all copied out of the checkout and run where no node is on PATH.
let install: Install;

beforeAll(() => {
  install = installOutsideCheckout(ensureBinaries());
}, 10 * 60_000);

afterAll(() => install.remove());

/** A world with a running server, an org and an all-scope token; stopped when the test ends. */
async function serverWorld(): Promise<{ world: World; clientEnv: Record<string, string> }> {
  const world = newWorld(install);
  const server = join(install.binDir, 'dodil-server');
  const admin = (args: string[]) => runProcess(server, args, { env: world.env(), cwd: world.dir });
  expect((await admin(['org', 'create', 'acme'])).status).toBe(0);
  const issued = await admin([
    'token',
    'create',
    '--org',
    'acme',
    '--scopes',
    'CreateSecret,GetSecret,ListSecrets,DeleteSecret',
  ]);
  expect(issued.status).toBe(0);
  const running = await startServer(server, { env: world.env(), cwd: world.dir });
  onTestFinished(async () => {
    await running.stop();
  });
  return { world, clientEnv: world.env({ DODIL_URL: running.url, DODIL_TOKEN: issued.stdout.trim() }) };
}

describe('dodil single executable', () => {
  test('--version names the version and the commit', async () => {
    const world = newWorld(install);

    const result = await runProcess(join(install.binDir, 'dodil'), ['--version'], {
      env: world.env(),
      cwd: world.dir,
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^dodil \d+\.\d+\.\d+\S* \(commit (?:[0-9a-f]{7,40}(?:-dirty)?|unknown)\)\n$/,
    );
  });

  test('ignite secret create and get, then git and docker helpers answer get from the slots', async () => {
    const { world, clientEnv } = await serverWorld();
    const dodil = (args: string[], input = '') =>
      runProcess(join(install.binDir, 'dodil'), args, { env: clientEnv, cwd: world.dir, input });

    const git = await dodil(
      ['ignite', 'secret', 'create', 'gh-clone', '--type', 'git', '--username', 'bot', '--token-stdin'],
      'pat-123\n',
    );
    expect(git.stderr).toBe('');
    expect(git.status).toBe(0);
    const registry = await dodil(
      [
        'ignite',
        'secret',
        'create',
        'ghcr-pull',
        '--type',
        'registry',
        '--username',
        'puller',
        '--password-stdin',
        '--server-address',
        'ghcr.io',
      ],
      's3cret\n',
    );
    expect(registry.status).toBe(0);
    const got = await dodil(['ignite', 'secret', 'get', 'gh-clone', '-o', 'json']);
    expect(got.status).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      value: { gitSecret: { username: 'bot', token: 'pat-123' } },
    });

    const gitHelper = await runProcess(
      join(install.binDir, 'git-credential-dodil'),
      ['--slot', 'gh-clone', 'get'],
      {
        env: clientEnv,
        cwd: world.dir,
        input: 'protocol=https\nhost=git.example.com\n\n',
      },
    );
    expect(gitHelper.status).toBe(0);
    expect(gitHelper.stdout).toBe('username=bot\npassword=pat-123\n');

    const dockerHelper = await runProcess(join(install.binDir, 'docker-credential-dodil'), ['get'], {
      env: clientEnv,
      cwd: world.dir,
      input: 'ghcr.io\n',
    });
    expect(dockerHelper.status).toBe(0);
    expect(JSON.parse(dockerHelper.stdout)).toEqual({
      ServerURL: 'ghcr.io',
      Username: 'puller',
      Secret: 's3cret',
    });
  });

  test('real git finds git-credential-dodil on the PATH and fills credentials from the slot', async () => {
    const { world, clientEnv } = await serverWorld();
    const created = await runProcess(
      join(install.binDir, 'dodil'),
      ['ignite', 'secret', 'create', 'gh-clone', '--type', 'git', '--username', 'bot', '--token-stdin'],
      { env: clientEnv, cwd: world.dir, input: 'pat-456\n' },
    );
    expect(created.status).toBe(0);
    const gitConfig = join(world.dir, 'gitconfig');
    writeFileSync(gitConfig, '[credential "https://git.example.com"]\n\thelper = dodil --slot gh-clone\n');

    const filled = await runProcess(install.tool('git'), ['credential', 'fill'], {
      env: { ...clientEnv, GIT_CONFIG_GLOBAL: gitConfig, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
      cwd: world.dir,
      input: 'protocol=https\nhost=git.example.com\n\n',
    });

    expect(filled.stderr).toBe('');
    expect(filled.status).toBe(0);
    expect(filled.stdout).toContain('username=bot\npassword=pat-456\n');
  });

  test('docker helper: an unknown registry is the standard not-found answer', async () => {
    const { world, clientEnv } = await serverWorld();

    const result = await runProcess(join(install.binDir, 'docker-credential-dodil'), ['get'], {
      env: clientEnv,
      cwd: world.dir,
      input: 'registry.example.org\n',
    });

    expect(result.status).toBe(1);
    expect(result.stdout).toBe('credentials not found in native keychain\n');
  });

  test('V8 flags in NODE_OPTIONS (common in developer shells) do not break the helper', async () => {
    const { world, clientEnv } = await serverWorld();
    await runProcess(
      join(install.binDir, 'dodil'),
      ['ignite', 'secret', 'create', 'gh', '--type', 'git', '--username', 'u', '--token-stdin'],
      {
        env: clientEnv,
        cwd: world.dir,
        input: 't\n',
      },
    );

    const result = await runProcess(join(install.binDir, 'git-credential-dodil'), ['--slot', 'gh', 'get'], {
      env: { ...clientEnv, NODE_OPTIONS: '--max-old-space-size=256' },
      cwd: world.dir,
      input: 'protocol=https\nhost=git.example.com\n\n',
    });

    expect(result.status).toBe(0);
    expect(result.stdout).toBe('username=u\npassword=t\n');
  });
});
