// Times the credential helper the way git and docker start it: a fresh process per credential.
// Every command runs on the load core (inherited affinity) against the live server, alternating
// command by command so drift on the shared machine hits all of them alike; medians are reported.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './stats.mjs';

/** The helper builds present in the tree: the bundle and/or the single executable. */
export function findHelpers(repo) {
  const bundle = join(repo, 'packages/helper/dist/dodil.cjs');
  const sea = join(repo, 'dist/bin/dodil');
  return { bundle: existsSync(bundle) ? bundle : undefined, sea: existsSync(sea) ? sea : undefined };
}

/** `name` in `dir` as a symlink to `target`, replacing an old one. */
function link(dir, name, target) {
  const file = join(dir, name);
  rmSync(file, { force: true });
  symlinkSync(target, file);
}

/**
 * Builds the command list: `node -e 0`, `git credential-store get` (no-network floor), and for each
 * helper build `git credential fill` through `dodil --slot …`, docker `get` and `dodil --version`.
 */
export function helperCommands({ repo, workDir, serverUrl, token, slot, registryHost }) {
  const { bundle, sea } = findHelpers(repo);
  mkdirSync(workDir, { recursive: true });
  const home = join(workDir, 'home');
  mkdirSync(home, { recursive: true });
  const storeFile = join(workDir, 'git-credentials');
  writeFileSync(storeFile, 'https://floor-user:floor-pass@floor.example.com\n', { mode: 0o600 });
  const gitConfig = join(workDir, 'gitconfig');
  writeFileSync(gitConfig, `[credential "https://git.example.com"]\n\thelper = dodil --slot ${slot}\n`);
  const baseEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_GLOBAL: gitConfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    DODIL_URL: serverUrl,
    DODIL_TOKEN: token,
  };
  const gitFillInput = 'protocol=https\nhost=git.example.com\n\n';
  const gitOk = (out) => /^username=bot-\d+$/m.test(out) && /^password=ghp_\S+$/m.test(out);
  const dockerOk = (out) => out.includes('"Secret":"ghp_') && out.includes('"Username":"robot-');
  const commands = [
    {
      id: 'node-e0',
      label: 'node -e 0',
      file: process.execPath,
      args: ['-e', '0'],
      env: baseEnv,
      ok: () => true,
    },
    {
      id: 'credential-store',
      label: 'git credential-store get (no network)',
      file: 'git',
      args: ['credential-store', '--file', storeFile, 'get'],
      input: 'protocol=https\nhost=floor.example.com\n\n',
      env: baseEnv,
      ok: (out) => out.includes('password=floor-pass'),
    },
  ];
  const builds = [];
  if (bundle) {
    // What `npm install` links: the package's bin entries (`#!/usr/bin/env node`), by the names
    // git and docker run; each picks its protocol from that name.
    const bin = join(workDir, 'bin-bundle');
    mkdirSync(bin, { recursive: true });
    for (const name of ['git-credential-dodil', 'docker-credential-dodil'])
      link(bin, name, join(repo, 'packages/helper/bin', `${name}.cjs`));
    builds.push({ kind: 'bundle', bin, version: { file: process.execPath, args: [bundle, '--version'] } });
  }
  if (sea)
    builds.push({ kind: 'sea', bin: join(repo, 'dist/bin'), version: { file: sea, args: ['--version'] } });
  for (const b of builds) {
    const env = { ...baseEnv, PATH: `${b.bin}:${process.env.PATH}` };
    commands.push(
      {
        id: `git-fill-${b.kind}`,
        label: `git credential fill → dodil --slot (${b.kind})`,
        file: 'git',
        args: ['credential', 'fill'],
        input: gitFillInput,
        env,
        ok: gitOk,
      },
      {
        id: `docker-get-${b.kind}`,
        label: `docker-credential-dodil get (${b.kind})`,
        file: join(b.bin, 'docker-credential-dodil'),
        args: ['get'],
        input: `${registryHost}\n`,
        env,
        ok: dockerOk,
      },
      {
        id: `version-${b.kind}`,
        label: `dodil --version (${b.kind})`,
        file: b.version.file,
        args: b.version.args,
        env,
        ok: (out) => out.trim().length > 0,
      },
    );
  }
  return { commands, found: { bundle, sea } };
}

function once(cmd) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd.file, cmd.args, {
    env: cmd.env,
    input: cmd.input ?? '',
    encoding: 'utf8',
    timeout: 20_000,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const ok = r.status === 0 && cmd.ok(r.stdout ?? '');
  return {
    ms,
    ok,
    detail: ok
      ? undefined
      : `exit ${r.status} ${String(r.stderr ?? r.error ?? '')
          .trim()
          .slice(0, 300)}`,
  };
}

/** Runs every command `runs` times, interleaved (after one unmeasured warm-up each). */
export function timeCommands(commands, runs) {
  const samples = new Map(commands.map((c) => [c.id, []]));
  const failures = new Map();
  for (const c of commands) {
    const w = once(c);
    if (!w.ok) failures.set(c.id, w.detail);
  }
  for (let i = 0; i < runs; i++) {
    for (const c of commands) {
      if (failures.has(c.id)) continue;
      const r = once(c);
      if (!r.ok) failures.set(c.id, r.detail);
      else samples.get(c.id).push(r.ms);
    }
  }
  const base = median(samples.get('node-e0') ?? []);
  return commands.map((c) => {
    const ms = median(samples.get(c.id));
    return failures.has(c.id)
      ? { id: `helper.${c.id}`, label: c.label, error: failures.get(c.id) }
      : {
          id: `helper.${c.id}`,
          label: c.label,
          medianMs: ms,
          ratio: ms / base,
          runs: samples.get(c.id).length,
        };
  });
}
