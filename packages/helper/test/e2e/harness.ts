// End-to-end world: the real server (spawned), the built bundle behind the names git and docker
// look for, and real clients isolated from this machine's configuration.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { tempDir } from '../helpers';

const here = dirname(fileURLToPath(import.meta.url));
export const helperRoot = resolve(here, '../..');
export const repoRoot = resolve(helperRoot, '../..');
export const bundle = join(helperRoot, 'dist/dodil.cjs');
export const fixtures = join(here, 'fixtures');
/** The server bundle the build task made (packages/server/dist/main.cjs). */
const serverMain = join(repoRoot, 'packages/server/dist/main.cjs');

/**
 * With DODIL_BIN_DIR set (the `helper-binaries` vitest project), the same suite runs against the
 * single executables (`dodil-server`, `dodil`) instead of the sources and the bundle.
 */
const binDir = process.env.DODIL_BIN_DIR;

/** How to run `dodil-server`: the executable, or the built bundle. */
function serverCommand(args: string[]): [string, string[]] {
  return binDir ? [join(binDir, 'dodil-server'), args] : [process.execPath, [serverMain, ...args]];
}

/** Fails (never skips) when a tool the e2e tests need is missing: CI installs them. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(
      `e2e tools missing: ${missing.join(', ')}. Install them as root: bash scripts/install-e2e-deps.sh ` +
        '(apt-get install -y --no-install-recommends docker-registry apache2-utils skopeo; docker CLI from the image)',
    );
  }
}

/** Fails clearly when dist/dodil.cjs is missing: the build task makes it (`npx turbo run build`; npm test does), never a test. */
export function ensureBundle(): void {
  if (!existsSync(bundle))
    throw new Error(`${bundle} is missing: run \`npx turbo run build\` (npm test does) first`);
}

/** A free loopback port (for servers that cannot report port 0). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => res(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** A process we started, with everything it printed so far. */
export interface Started {
  child: ChildProcess;
  // A function property, not a method: callers destructure it.
  output: () => string;
}

/**
 * Starts a process and stops it (by PID, TERM then KILL) when the test ends. Its output goes to a
 * file, not a pipe: the tests block in spawnSync while clients run, and a full pipe would stall
 * the server they talk to.
 */
export function startProcess(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; logFile: string },
): Started {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  onTestFinished(() => stopProcess(child));
  return { child, output: () => (existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8') : '') };
}

/** Ends one process we started, by its PID. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` every 100 ms, at most `tries` times. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  tries = 100,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** HTTP status of a GET, or 0 when nothing answers. */
export async function statusOf(url: string): Promise<number> {
  const http = await import('node:http');
  return new Promise((res) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', () => res(0));
    req.on('timeout', () => req.destroy());
  });
}

/** The running dodil server. */
export interface DodilServer {
  url: string;
  devToken: string;
  dataDir: string;
  /** Runs an admin command (`org create`, `token create`, ...) against the same data dir; returns stdout. */
  admin(args: string[]): string;
}

/** Spawns `dodil-server start --dev` on 127.0.0.1:0 in `dir` (with `extra` start flags, such as TLS). */
export async function startDodilServer(dir: string, extra: string[] = []): Promise<DodilServer> {
  const dataDir = join(dir, 'data');
  const [cmd, args] = serverCommand([
    'start',
    '--dev',
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    ...extra,
  ]);
  const { output } = startProcess(cmd, args, {
    env: { ...process.env, DODIL_MASTER_KEY: '', DODIL_MASTER_KEY_FILE: '' },
    logFile: join(dir, 'dodil-server.log'),
  });
  await waitFor(
    'the dodil server',
    () => /"msg":"listening","url":"[^"]+"/.test(output()) && /DODIL_TOKEN=\S+/.test(output()),
    600,
  );
  const url = /"msg":"listening","url":"([^"]+)"/.exec(output())?.[1] ?? '';
  const devToken = /DODIL_TOKEN=(\S+)/.exec(output())?.[1] ?? '';
  const admin = (adminArgs: string[]) => {
    const [adminCmd, argv] = serverCommand([...adminArgs, '--dev', '--data-dir', dataDir]);
    return execFileSync(adminCmd, argv, { encoding: 'utf8', cwd: repoRoot }).trim();
  };
  return { url, devToken, dataDir, admin };
}

/** A directory with `dodil` (a shell wrapper around the bundle, or the executable) and the two helper names (links). */
export function helperBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  if (binDir) {
    symlinkSync(join(binDir, 'dodil'), join(bin, 'dodil'));
    symlinkSync('dodil', join(bin, 'git-credential-dodil'));
    symlinkSync('dodil', join(bin, 'docker-credential-dodil'));
    return bin;
  }
  ensureBundle();
  writeFileSync(
    join(bin, 'dodil'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} "$@"\n`,
  );
  chmodSync(join(bin, 'dodil'), 0o755);
  symlinkSync(bundle, join(bin, 'git-credential-dodil'));
  symlinkSync(bundle, join(bin, 'docker-credential-dodil'));
  return bin;
}

/** An isolated client environment: HOME, git, docker and dodil config all under `dir`. */
export function clientEnv(dir: string, server: DodilServer, bin: string): NodeJS.ProcessEnv {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    // node's directory last: with node in /usr/bin it would otherwise put Debian's docker 20.10 CLI
    // (docker.io, installed for dockerd) before the docker CLI in /usr/local/bin.
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}:${dirname(process.execPath)}`,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
    GIT_TERMINAL_PROMPT: '0',
    DOCKER_CONFIG: join(dir, 'docker'),
    DOCKER_HOST: `unix://${join(dir, 'no-daemon.sock')}`,
    DODIL_URL: server.url,
    DODIL_TOKEN: server.devToken,
    DODIL_CONFIG: join(dir, 'dodil-config.json'),
  };
  for (const k of [
    'XDG_RUNTIME_DIR',
    'REGISTRY_AUTH_FILE',
    'DOCKER_AUTH_CONFIG',
    'DOCKER_CONTEXT',
    'GIT_ASKPASS',
    'SSH_ASKPASS',
    'GIT_TRACE',
    'XDG_CONFIG_HOME',
    'DODIL_TIMEOUT_MS',
  ]) {
    delete env[k];
  }
  return env;
}

/** Result of a command run to completion. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a bounded time; never throws on a non-zero exit. */
export function sh(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Ran {
  const r = spawnSync(cmd, args, {
    env,
    input: opts.input ?? '',
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh world: temp dir, server, helper bin, client env. */
export async function world(): Promise<{
  dir: string;
  server: DodilServer;
  bin: string;
  env: NodeJS.ProcessEnv;
  dodil: (args: string[], input?: string) => Ran;
}> {
  const dir = tempDir('dodil-e2e-');
  const server = await startDodilServer(dir);
  const bin = helperBin(dir);
  const env = clientEnv(dir, server, bin);
  return { dir, server, bin, env, dodil: (args, input) => sh(join(bin, 'dodil'), args, env, { input }) };
}

/** `dodil` argv creating (or rotating) a registry slot whose password comes on stdin. */
export const registrySlotArgs = (name: string, username: string, serverAddress: string): string[] => [
  'ignite',
  'secret',
  'create',
  name,
  '--type',
  'registry',
  '--username',
  username,
  '--password-stdin',
  '--server-address',
  serverAddress,
];
