import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a finished process ended. */
export interface Finished {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options for {@link runProcess}; `env` is the whole environment (nothing is inherited). */
export interface RunOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Run as this user and group (the test must be root to switch). */
  readonly as?: { readonly uid: number; readonly gid: number };
}

/** Runs a program to completion; killed (and reported as such) past its time limit. */
export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.as === undefined ? {} : { uid: options.as.uid, gid: options.as.gid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // The program may exit without reading its input; that is its answer, not a test error.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A `dodil-server start` under test. */
export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then wait for the exit; SIGKILL if it does not come. */
  stop(): Promise<Finished>;
}

/**
 * Starts `dodil-server start --listen 127.0.0.1:0`, learns the port from the "listening" log
 * line and waits until /readyz answers 200. Bounded: fails after `timeoutMs`.
 */
export async function startServer(file: string, options: RunOptions): Promise<RunningServer> {
  const child = spawn(file, ['start', '--listen', '127.0.0.1:0'], {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Finished>((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  const stop = async (): Promise<Finished> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const finished = await exited;
    clearTimeout(killer);
    return finished;
  };

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  try {
    const url = await waitForListening(child, () => stdout, deadline);
    await waitForReady(url, deadline);
    return { url, pid: requirePid(child), stop };
  } catch (error) {
    const finished = await stop();
    throw new Error(
      `dodil-server start did not become ready: ${error instanceof Error ? error.message : String(error)}\n` +
        `exit ${String(finished.status ?? finished.signal)}\nstdout: ${finished.stdout}\nstderr: ${finished.stderr}`,
      { cause: error },
    );
  }
}

async function waitForListening(
  child: ChildProcess,
  output: () => string,
  deadline: number,
): Promise<string> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('it exited');
    for (const line of output().split('\n')) {
      const url = listeningUrl(line);
      if (url !== undefined) return url;
    }
    await sleep(25);
  }
  throw new Error('no "listening" log line in time');
}

function listeningUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry: unknown = JSON.parse(line);
    if (typeof entry === 'object' && entry !== null && 'msg' in entry && 'url' in entry) {
      if (entry.msg === 'listening' && typeof entry.url === 'string') return entry.url;
    }
  } catch {
    // Not a log line.
  }
  return undefined;
}

async function waitForReady(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) return;
    } catch {
      // Not accepting yet.
    }
    await sleep(50);
  }
  throw new Error(`${url}/readyz never answered 200`);
}

function requirePid(child: ChildProcess): number {
  if (child.pid === undefined) throw new Error('spawn gave no pid');
  return child.pid;
}
