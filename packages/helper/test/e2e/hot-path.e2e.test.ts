// What a git or docker credential request loads: the start-up cost of node's built-in modules is
// paid by every git fetch and every image pull (docs/performance.md, "Helper start"). The built
// hot bundle runs as git and docker start it, against a real HTTP server on 127.0.0.1; a preload
// reports node's module list at exit.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeServer, gitSlot, registrySlot, tempDir } from '../helpers';
import { bundle, ensureBundle } from './harness';

const run = promisify(execFile);

async function loadedBy(args: string[], input: string, env: NodeJS.ProcessEnv) {
  const dir = tempDir();
  const report = join(dir, 'modules.json');
  const preload = join(dir, 'report.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`,
  );
  const child = run(process.execPath, ['--require', preload, bundle, ...args], {
    env: { PATH: process.env.PATH, HOME: dir, ...env },
  });
  child.child.stdin?.end(input);
  const { stdout, stderr } = await child;
  return { stdout, stderr, modules: JSON.parse(readFileSync(report, 'utf8')) as string[] };
}

describe('a credential request over plain http to an address or localhost', () => {
  beforeAll(() => ensureBundle());

  const docker = ['credential', 'docker', 'get'];
  const git = ['--slot', 'slot-1', 'get'];
  const gitInput = 'protocol=https\nhost=git.example.com\n\n';
  it.each([
    ['docker get', docker, 'ghcr.io\n', /"Secret":"pw-1"/, false],
    ['git get', git, gitInput, /password=tok-1/, false],
    ['git get from http://localhost', git, gitInput, /password=tok-1/, true],
  ])(
    '%s loads neither node:net (nor its streams) nor node:crypto',
    async (_n, args, input, answer, byName) => {
      const s = await fakeServer((r) =>
        r.url.startsWith('/v1/ignite/registry-secrets')
          ? { status: 200, json: { secrets: [registrySlot('reg', 'robot', 'pw-1', 'ghcr.io')] } }
          : { status: 200, json: gitSlot('slot-1', 'bot', 'tok-1') },
      );
      const url = byName ? s.url.replace('127.0.0.1', 'localhost') : s.url;
      const { stdout, modules } = await loadedBy(args, input, { DODIL_URL: url, DODIL_TOKEN: 'dodil_t' });
      expect(stdout).toMatch(answer);
      expect(modules).toContain('Internal Binding tcp_wrap');
      for (const name of ['NativeModule net', 'NativeModule stream', 'NativeModule crypto']) {
        expect(modules).not.toContain(name);
      }
    },
  );

  it('under --pending-deprecation it takes node:net, and prints no deprecation warning', async () => {
    const s = await fakeServer(() => ({ status: 200, json: gitSlot('slot-1', 'bot', 'tok-1') }));
    const { stdout, stderr, modules } = await loadedBy(git, gitInput, {
      DODIL_URL: s.url,
      DODIL_TOKEN: 'dodil_t',
      NODE_OPTIONS: '--pending-deprecation',
    });
    expect(stdout).toMatch(/password=tok-1/);
    expect(stderr).not.toMatch(/Deprecation/);
    // node:net loads the binding itself; that it was node:net's shows in the module list.
    expect(modules).toContain('NativeModule net');
  });
});
