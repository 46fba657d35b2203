// The protocol halves of both helpers run against any backend (issue 10 item 5), as
// docker-credential-helpers' HandleCommand(helper, action, in, out) does.
import { describe, expect, it } from 'vitest';
import type { DockerBackend } from '../../src/docker/backend';
import { handleDockerCommand } from '../../src/docker/handler';
import { CredentialsNotFound, type DockerCredentials } from '../../src/docker/protocol';
import type { GitBackend } from '../../src/git/backend';
import { handleGitCommand } from '../../src/git/handler';
import { CliError } from '../../src/errors';
import type { Io } from '../../src/io';

function memoryIo(stdin: string): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const io: Io = {
    stdin: () =>
      (async function* () {
        yield Buffer.from(stdin);
      })(),
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    env: {},
    transport: () => Promise.reject(new Error('no network in this test')),
    now: () => 0,
  };
  return { io, out: () => out, err: () => err };
}

describe('docker protocol around an in-memory backend', () => {
  const store = new Map<string, { username: string; secret: string }>();
  const backend: DockerBackend = {
    get: async (url) => {
      const hit = store.get(url);
      if (!hit) throw new CredentialsNotFound(`nothing for ${url}`);
      return hit;
    },
    store: async (c: DockerCredentials) => {
      store.set(c.serverUrl, { username: c.username, secret: c.secret });
    },
    erase: async (url) => {
      store.delete(url);
    },
    list: async () => Object.fromEntries([...store].map(([k, v]) => [k, v.username])),
  };

  it('store, get, list, erase', async () => {
    let m = memoryIo('{"ServerURL":"r.example","Username":"u","Secret":"s"}');
    expect(await handleDockerCommand(backend, 'store', m.io)).toBe(0);
    m = memoryIo('r.example\n');
    expect(await handleDockerCommand(backend, 'get', m.io)).toBe(0);
    expect(JSON.parse(m.out())).toEqual({ ServerURL: 'r.example', Username: 'u', Secret: 's' });
    m = memoryIo('');
    await handleDockerCommand(backend, 'list', m.io);
    expect(JSON.parse(m.out())).toEqual({ 'r.example': 'u' });
    await handleDockerCommand(backend, 'erase', memoryIo('r.example').io);
    await expect(handleDockerCommand(backend, 'get', memoryIo('r.example').io)).rejects.toBeInstanceOf(
      CredentialsNotFound,
    );
    await expect(handleDockerCommand(backend, 'get', memoryIo('  ').io)).rejects.toThrow(
      'no credentials server URL',
    );
  });
});

describe('git protocol around an in-memory backend', () => {
  const erased: string[] = [];
  const backend: GitBackend = {
    get: async (target) => {
      if (target.host !== 'git.example') throw new CliError('NOT_FOUND', 'unknown host');
      return { username: 'alice', password: 'pw' };
    },
    erase: async (target, rejected) => {
      erased.push(`${target.host} ${rejected.username ?? ''}`);
      return 'noted';
    },
  };

  it('get prints exactly username and password; erase reports; store and unknown actions do nothing', async () => {
    let m = memoryIo('protocol=https\nhost=git.example\n\n');
    expect(await handleGitCommand(backend, 'get', m.io)).toBe(0);
    expect(m.out()).toBe('username=alice\npassword=pw\n');
    m = memoryIo('protocol=https\nhost=git.example\nusername=alice\npassword=pw\n\n');
    expect(await handleGitCommand(backend, 'erase', m.io)).toBe(0);
    expect(m.err()).toBe('dodil: noted\n');
    expect(erased).toEqual(['git.example alice']);
    for (const action of ['store', 'capability']) {
      m = memoryIo('protocol=https\nhost=git.example\n\n');
      expect(await handleGitCommand(backend, action, m.io)).toBe(0);
      expect(m.out() + m.err()).toBe('');
    }
    await expect(
      handleGitCommand(backend, 'get', memoryIo('protocol=https\nhost=other\n\n').io),
    ).rejects.toThrow('unknown host');
  });
});
