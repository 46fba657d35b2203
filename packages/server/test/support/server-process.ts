import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { SCOPES } from '@dodil/shared';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The server bundle the build task made (`npx turbo run build`; `npm test` runs it first). Tests
 * never build it themselves: several test files at once would rewrite it under each other.
 */
export function builtServer(): string {
  const main = join(packageDir, 'dist', 'main.cjs');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npx turbo run build\` (npm test does) first`);
  return main;
}

/** Runs `dodil-server <args>` to completion and returns its output. */
export function runServer(
  args: string[],
  env: Record<string, string>,
): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [builtServer(), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `org create` and an all-scope `token create` with the built server; returns the token. */
export function provisionOrg(env: Record<string, string>, org = 'acme'): string {
  const created = runServer(['org', 'create', org], env);
  if (created.code !== 0) throw new Error(`org create failed: ${created.stderr}`);
  const token = runServer(['token', 'create', '--org', org, '--scopes', SCOPES.join(',')], env);
  if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
  return token.stdout.trim();
}

/** A running `dodil-server start` process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr together. */
  output: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node <main> start --listen 127.0.0.1:0 <args>` and waits (bounded)
 * for its `listening` log line. The process is killed when the test ends.
 */
export async function spawnServer(
  main: string,
  args: string[],
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [main, 'start', '--listen', '127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${err}`)), 20_000);
    const onData = () => {
      const m = /"msg":"listening","url":"([^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${String(code)}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    output: () => out + err,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts the built server (see {@link spawnServer}). */
export function startServer(args: string[], env: Record<string, string>): Promise<ServerProcess> {
  return spawnServer(builtServer(), args, env);
}
