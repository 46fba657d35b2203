import { ALL_SCOPES } from '@dodil/shared';
import { expect } from 'vitest';
import { tempDir, testKeyB64 } from '../../support/harness';
import { runServer, startServer } from '../../support/server-process';
import type { ServerProcess } from '../../support/server-process';

const KEY = testKeyB64(9);

/** A built server on 127.0.0.1 with org `acme`, an all-scope token, and helpers. */
export interface ConsoleWorld {
  server: ServerProcess;
  base: string;
  env: Record<string, string>;
  admin: string;
  /** A token of `acme` with the given scopes, from the operator's CLI. */
  token(scopes: readonly string[]): string;
  /** Creates a slot through the API. */
  put(name: string, value: unknown): Promise<void>;
  /** Reads a slot's status through the API (200 or 404). */
  status(name: string): Promise<number>;
}

/** Starts a fresh world (data dir and process removed/stopped when the test ends). */
export async function consoleWorld(): Promise<ConsoleWorld> {
  const dir = tempDir('dodil-ui-');
  const env = { DODIL_MASTER_KEY: KEY, DODIL_DATA_DIR: dir };
  expect(runServer(['org', 'create', 'acme'], env).code).toBe(0);
  const token = (scopes: readonly string[]) => {
    const made = runServer(
      ['token', 'create', '--org', 'acme', '--scopes', scopes.join(','), '--name', 'ui-test'],
      env,
    );
    if (made.code !== 0) throw new Error(`token create failed: ${made.stderr}`);
    return made.stdout.trim();
  };
  const admin = token(ALL_SCOPES);
  const server = await startServer([], env);
  const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  return {
    server,
    base: server.url,
    env,
    admin,
    token,
    async put(name, value) {
      const res = await fetch(`${server.url}/v1/ignite/secrets`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name, value }),
      });
      expect(res.status).toBe(200);
    },
    async status(name) {
      return (await fetch(`${server.url}/v1/ignite/secrets/${name}`, { headers: auth })).status;
    },
  };
}
