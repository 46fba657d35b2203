import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, test } from 'vitest';
import { useEngine } from '../../support/engine';
import { makeHarness } from '../../support/harness';
import { pgAdminUrl } from '../../support/pg';

useEngine('postgres');

async function admin(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function readyz(h: Awaited<ReturnType<typeof makeHarness>>) {
  const res = await h.call('GET', '/readyz');
  return {
    status: res.status,
    reasons: ((res.json.details ?? []) as { reason: string }[]).map((d) => d.reason),
    text: res.text,
  };
}

test('PostgreSQL unreachable: /readyz 503 DATABASE_UNREACHABLE with no driver text, 200 again once it is back, no restart', async () => {
  const h = await makeHarness();
  expect(await readyz(h)).toMatchObject({ status: 200 });
  // Find this test's database from the admin side by a marker set from inside it.
  const marker = `h15-readyz-${randomBytes(6).toString('hex')}`;
  h.runtime.db.exec(
    `DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), '${marker}'); END $$;`,
  );
  const found = await admin(
    'SELECT d.datname FROM pg_database d JOIN pg_shdescription s ON s.objoid = d.oid WHERE s.description = $1',
    [marker],
  );
  const name = String((found.rows[0] as { datname?: string } | undefined)?.datname ?? '');
  expect(name).toMatch(/^dodil_t_/);

  // Unreachable: no new connections, and the pool's connections are cut.
  await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  let down = await readyz(h);
  for (let i = 0; i < 20 && down.status !== 503; i++) down = await readyz(h);
  expect(down).toMatchObject({ status: 503, reasons: ['DATABASE_UNREACHABLE'] });
  expect(down.text).not.toMatch(/postgres|connection|terminat|allow|ECONN|dodil_t_/i);

  await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
  let up = await readyz(h);
  for (let i = 0; i < 50 && up.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    up = await readyz(h);
  }
  expect(up).toMatchObject({ status: 200, reasons: [] });
});
