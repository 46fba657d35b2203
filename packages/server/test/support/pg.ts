import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject, onTestFinished } from 'vitest';

/** The admin URL of the test PostgreSQL server (see pg-global-setup.ts); throws when there is none. */
export function pgAdminUrl(): string {
  const url = inject('pgAdminUrl');
  if (url === '') throw new Error(inject('pgUnavailable') || 'no test PostgreSQL server');
  return url;
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database `dodil_t_<random>` on the test server, dropped (connections and all)
 * when the test ends. Returns its URL.
 */
export async function pgTestDatabase(): Promise<string> {
  const name = `dodil_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  onTestFinished(async () => {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return withDatabase(pgAdminUrl(), name);
}
