// The built program as users run it: dist/dodil.cjs under its three names, and the npm launcher.
import { readFileSync, symlinkSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers';
import { bundle, ensureBundle, helperRoot, sh } from './harness';

beforeAll(() => ensureBundle());

describe('dist/dodil.cjs', () => {
  it('--version names the version and the commit it was built from', () => {
    const info = JSON.parse(readFileSync(join(helperRoot, 'dist/build-info.json'), 'utf8')) as {
      version: string;
      commit: string;
    };
    const r = sh(process.execPath, [bundle, '--version'], process.env);
    expect(r).toEqual({ code: 0, stdout: `dodil ${info.version} (commit ${info.commit})\n`, stderr: '' });
    expect(info.commit).not.toBe('');
  });

  it('dispatches on the name it was started by: links and copies', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    symlinkSync(bundle, join(dir, 'bin', 'git-credential-dodil'));
    copyFileSync(bundle, join(dir, 'bin', 'docker-credential-dodil'));
    const env = {
      ...process.env,
      DODIL_CONFIG: join(dir, 'c.json'),
      DODIL_URL: 'http://127.0.0.1:1',
      DODIL_TOKEN: 't',
    };
    const git = sh(process.execPath, [join(dir, 'bin', 'git-credential-dodil'), '--slot', 'x', 'get'], env, {
      input: 'protocol=https\nhost=h\n\n',
    });
    expect(git).toMatchObject({ code: 0, stdout: '' });
    expect(git.stderr).toMatch(
      /^dodil: slot "x": cannot reach server at http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/,
    );
    const docker = sh(process.execPath, [join(dir, 'bin', 'docker-credential-dodil'), 'version'], env);
    expect(docker.stdout).toMatch(/^docker-credential-dodil \(dodil\) /);
    // and as plain `node dist/dodil.cjs`
    expect(
      sh(process.execPath, [bundle, 'credential', 'docker', 'get'], env, { input: 'ghcr.io' }).stdout,
    ).toBe('credentials not found in native keychain\n');
  });

  it('the npm launcher bin/dodil.cjs runs the bundle; the CLI part loads on demand', () => {
    const r = sh(
      process.execPath,
      [join(helperRoot, 'bin/dodil.cjs'), 'ignite', 'secret', '--help'],
      process.env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: dodil ignite secret create');
  });

  it('keeps zod and server code out of the hot part (the build checks; here: the size)', () => {
    const info = JSON.parse(readFileSync(join(helperRoot, 'dist/build-info.json'), 'utf8')) as {
      hotBytes: number;
      coldBytes: number;
    };
    expect(info.hotBytes - info.coldBytes).toBeLessThan(150 * 1024);
  });
});
