// The world the setup and resolve tests share: a temp HOME with git, docker, containers and dodil
// config under it, helper names on PATH, and a fake server with a few slots.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorBody, fakeTransport, gitSlot, registrySlot, tempDir } from '../helpers';

/** A temp HOME with every client's config under it, and `git` run in that environment. */
export function world() {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const name of ['git-credential-dodil', 'docker-credential-dodil']) {
    writeFileSync(join(bin, name), '#!/bin/sh\n');
    chmodSync(join(bin, name), 0o755);
  }
  const env = {
    HOME: dir,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    GIT_CONFIG_GLOBAL: join(dir, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    DOCKER_CONFIG: join(dir, 'docker'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    DODIL_CONFIG: join(dir, 'dodil.json'),
    DODIL_URL: 'http://dodil.test',
    DODIL_TOKEN: 't',
  };
  const git = (...args: string[]) => execFileSync('git', args, { env, encoding: 'utf8' });
  return { dir, env, git };
}

/** The fake server: git slot gh, registry slots reg, hub, q1, q2. */
export const slots = fakeTransport((req) => {
  const name = decodeURIComponent(req.url.split('/').pop() ?? '');
  if (req.url.includes('registry-secrets')) {
    return {
      status: 200,
      json: {
        secrets: [
          registrySlot('hub', 'u', 'p', ''),
          registrySlot('q1', 'u', 'p', 'quay.io'),
          registrySlot('q2', 'u', 'p', 'quay.io'),
        ],
      },
    };
  }
  if (name === 'gh') return { status: 200, json: gitSlot('gh', 'alice', 't') };
  if (name === 'reg') return { status: 200, json: registrySlot('reg', 'u', 'p', 'ghcr.io') };
  return { status: 404, json: errorBody(5, `slot ${name} not found`) };
}).transport;
