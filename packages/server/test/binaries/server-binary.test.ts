import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBinaries, installOutsideCheckout } from './support/binaries';
import type { Install } from './support/binaries';
import { runProcess, startServer } from './support/processes';
import { newWorld } from './support/world';

// The single executable `dodil-server`, copied out of the checkout, run where no node is on PATH.
let install: Install;

beforeAll(() => {
  install = installOutsideCheckout(ensureBinaries());
}, 10 * 60_000);

afterAll(() => install.remove());

describe('dodil-server single executable', () => {
  test('--version names the version and the commit, without touching the addon cache', async () => {
    const world = newWorld(install);

    const result = await runProcess(join(install.binDir, 'dodil-server'), ['--version'], {
      env: world.env(),
      cwd: world.dir,
    });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^dodil-server \d+\.\d+\.\d+\S* \((?:[0-9a-f]{7,40}(?:-dirty)?|unknown)\)\n$/,
    );
    expect(existsSync(world.cacheDir)).toBe(false);
  });

  test('operator flow: org create, token create, start; the API answers with the token', async () => {
    const world = newWorld(install);
    const server = join(install.binDir, 'dodil-server');
    const run = (args: string[]) => runProcess(server, args, { env: world.env(), cwd: world.dir });

    const org = await run(['org', 'create', 'acme']);
    expect(org.stderr).not.toMatch(/error/i);
    expect(org.status).toBe(0);
    const issued = await run([
      'token',
      'create',
      '--org',
      'acme',
      '--scopes',
      'CreateSecret,GetSecret,ListSecrets,DeleteSecret',
    ]);
    expect(issued.status).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^\S{20,}$/);

    const running = await startServer(server, { env: world.env(), cwd: world.dir });
    try {
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${running.url}/v1/ignite/secrets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'gh-clone',
          value: { gitSecret: { username: 'bot', token: 'pat-123' } },
        }),
      });
      expect(created.status).toBe(200);
      const fetched = await fetch(`${running.url}/v1/ignite/secrets/gh-clone`, { headers });
      expect(fetched.status).toBe(200);
      expect(await fetched.json()).toMatchObject({
        value: { gitSecret: { username: 'bot', token: 'pat-123' } },
      });
      // The console and the OpenAPI document travel inside the executable too (no file from outside).
      const signIn = await fetch(`${running.url}/ui/login`);
      expect(signIn.status).toBe(200);
      expect(signIn.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const page = await signIn.text();
      expect(page).toMatch(/<form[^>]+action="\/ui\/login"/);
      expect(page).not.toMatch(/<(?:script|link)[^>]+(?:src|href)="https?:/);
      const openapi = await fetch(`${running.url}/openapi.json`);
      expect(openapi.status).toBe(200);
      expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
    } finally {
      const finished = await running.stop();
      expect(finished.status).toBe(0);
    }
  });

  test('a bad invocation is a clear one-line error, not a crash', async () => {
    const world = newWorld(install);

    const result = await runProcess(join(install.binDir, 'dodil-server'), ['org', 'create', 'acme'], {
      env: world.env({ DODIL_MASTER_KEY: '' }),
      cwd: world.dir,
    });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^dodil-server org: no master key/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
