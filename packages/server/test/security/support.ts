import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCOPES } from '@dodil/shared';
import type { SecretValue } from '@dodil/shared';
import { createApp } from '../../src/app';
import { runServerCli } from '../../src/cli/run';
import { listen } from '../../src/edge/listen';
import { silentLogger } from '../../src/edge/logger';
import { openRuntime } from '../../src/runtime';
import type { SecurityOptions } from '../../src/runtime';
import { TEST_MASTER_KEY, tempDir } from '../support/harness';
import { builtServer, spawnServer } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repoRoot = join(packageDir, '..', '..');

/** TEST_MASTER_KEY as DODIL_MASTER_KEY wants it. */
export const TEST_KEY_B64 = Buffer.from(TEST_MASTER_KEY).toString('base64');

/** Runs a server subcommand in-process and captures its output. */
export async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runServerCli(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { DODIL_MASTER_KEY: TEST_KEY_B64, ...env },
    signal: new AbortController().signal,
    version: 'test',
  });
  return { code, stdout, stderr };
}

/**
 * The server bundle `npm run build` made (packages/server/dist/main.cjs). Starting it takes a
 * fraction of tsx's start-up time, which matters when a test starts the server twenty times.
 */
export function serverBundle(): string {
  return builtServer();
}

/**
 * @deprecated Builds nothing any more: {@link serverBundle}. Kept only so tests written on other
 * branches against the old name still compile at merge time; drop it once none calls it.
 */
export function buildServerBundle(): Promise<{ file: string; remove: () => void }> {
  return Promise.resolve({ file: serverBundle(), remove: () => undefined });
}

const childEnv = (env: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  NODE_PATH: join(repoRoot, 'node_modules'),
  DODIL_MASTER_KEY: TEST_KEY_B64,
  ...env,
});

/** Runs the bundle to completion without blocking the event loop (tests serve HTTP meanwhile). */
export function runBundle(
  bundle: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `start` process of the bundle. */
export type BundleServer = ServerProcess;

/** Starts `start --listen 127.0.0.1:0` and waits (bounded) for its `listening` line. */
export function startBundle(
  bundle: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<BundleServer> {
  return spawnServer(bundle, ['--data-dir', dataDir], childEnv(env));
}

/** A small deterministic PRNG (mulberry32) so process-level tests replay the same schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A runtime on a fresh data dir with org acme, served over real HTTP on 127.0.0.1:0. */
export async function servedWorld(
  security: SecurityOptions = {},
  dir = tempDir(),
  masterKey: Uint8Array = TEST_MASTER_KEY,
) {
  const runtime = await openRuntime({ databaseFile: join(dir, 'dodil.db'), masterKey, security });
  const close: Array<() => Promise<void> | void> = [() => runtime.close()];
  if ((await runtime.stores.orgs.getByName('acme')) === undefined) await runtime.admin.createOrg('acme');
  const { token } = await runtime.admin.createToken({ org: 'acme', scopes: SCOPES });
  const app = createApp({
    secrets: runtime.secrets,
    auth: runtime.auth,
    isReady: () => runtime.isReady(),
    logger: silentLogger,
  });
  // The listener as `start` runs it: REST, and gRPC/Connect over the same services.
  const server = await listen({
    fetch: app.fetch,
    host: '127.0.0.1',
    port: 0,
    rpc: { secrets: runtime.secrets, auth: runtime.auth, logger: silentLogger },
  });
  close.unshift(() => server.close(1000));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return {
    dir,
    runtime,
    url: server.url,
    headers,
    async put(name: string, value: SecretValue) {
      const res = await fetch(`${server.url}/v1/ignite/secrets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name, value }),
      });
      return res.status;
    },
    async get(name: string) {
      const res = await fetch(`${server.url}/v1/ignite/secrets/${name}`, { headers });
      const text = await res.text();
      return {
        status: res.status,
        text,
        value: res.status === 200 ? (JSON.parse(text) as { value: SecretValue }).value : undefined,
      };
    },
    async close() {
      for (const c of close) await c();
    },
  };
}
