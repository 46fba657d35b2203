import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import pg from 'pg';
import { onTestFinished } from 'vitest';
import { SCOPES } from '@dodil/shared';
import { TEST_MASTER_KEY } from '../support/harness';
import { pgTestDatabase } from '../support/pg';
import { builtServer, spawnServer } from '../support/server-process';
import type { ServerProcess } from '../support/server-process';

/** The environment every replica and admin command of one cluster shares. */
export interface Cluster {
  url: string;
  env: Record<string, string>;
  /** An all-scope token of org acme. */
  token: string;
  /** `dodil-server <args>` (built bundle) against the cluster's database. */
  admin(args: string[], extraEnv?: Record<string, string>): { code: number; stdout: string; stderr: string };
  /** The same, without blocking this process (so load keeps flowing while it runs). */
  adminAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts one more replica (killed when the test ends). */
  replica(extra?: string[]): Promise<ServerProcess>;
  /** Runs SQL on the cluster's database (for checks, never for setup the server should do). */
  sql<R extends object>(text: string, values?: unknown[]): Promise<R[]>;
}

/** A fresh database, org acme, an all-scope token, and a way to start replicas of the built server on it. */
export async function cluster(databaseUrl?: string): Promise<Cluster> {
  const url = databaseUrl ?? (await pgTestDatabase());
  const env = { DODIL_DATABASE_URL: url, DODIL_MASTER_KEY: Buffer.from(TEST_MASTER_KEY).toString('base64') };
  const main = builtServer();
  const admin = (args: string[], extraEnv: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [main, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const adminAsync = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [main, ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const created = admin(['org', 'create', 'acme']);
  if (created.code !== 0) throw new Error(`org create failed: ${created.stderr}`);
  const token = admin(['token', 'create', '--org', 'acme', '--scopes', SCOPES.join(',')]);
  if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
  const client = new pg.Client({ connectionString: url });
  // Outage tests stop the server under this connection; its loss is expected, not a crash.
  client.on('error', () => undefined);
  await client.connect();
  onTestFinished(() => client.end());
  return {
    url,
    env,
    token: token.stdout.trim(),
    admin,
    adminAsync,
    replica: (extra = []) => spawnServer(main, extra, env),
    async sql<R extends object>(text: string, values: unknown[] = []) {
      return (await client.query<R>(text, values)).rows;
    },
  };
}

/** POST a git slot; resolves the HTTP status, or 0 when the connection failed (a killed replica). */
export async function put(base: string, token: string, name: string, value: string): Promise<number> {
  try {
    const res = await fetch(`${base}/v1/ignite/secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, value: { gitSecret: { username: 'ha', token: value } } }),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** GET a slot's token value; `{ status: 0 }` when the connection failed. */
export async function get(
  base: string,
  token: string,
  name: string,
): Promise<{ status: number; value?: string }> {
  try {
    const res = await fetch(`${base}/v1/ignite/secrets/${name}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as { value?: { gitSecret?: { token?: string } } };
    return {
      status: res.status,
      ...(body.value?.gitSecret?.token === undefined ? {} : { value: body.value.gitSecret.token }),
    };
  } catch {
    return { status: 0 };
  }
}

/** Checks the audit chain in the database: seq 1..N with no gap or duplicate. */
export async function chainShape(c: Cluster): Promise<{ count: number; min: number; max: number }> {
  const rows = await c.sql<{ count: number; min: number; max: number }>(
    'SELECT count(*)::int AS count, coalesce(min(seq), 0)::int AS min, coalesce(max(seq), 0)::int AS max FROM audit_log',
  );
  return rows[0] ?? { count: 0, min: 0, max: 0 };
}

/** Waits (bounded) until `cond` holds; returns the ms it took. */
export async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await cond()) return performance.now() - start;
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * GET a path from a given loopback source address (127.0.0.N): the server throttles failed
 * authentications per client address, and a test that fails on purpose many times must not
 * be throttled for it. Resolves the status, 0 on a connection failure.
 */
export function statusFrom(base: string, path: string, token: string, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${base}${path}`,
      { headers: { authorization: `Bearer ${token}` }, localAddress, timeout: 15_000 },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', () => resolve(0));
    req.once('timeout', () => req.destroy());
    req.end();
  });
}
