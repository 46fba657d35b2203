import pg from 'pg';
import { expect, test } from 'vitest';
import { pgTestDatabase } from '../support/pg';

test('each test gets its own empty PostgreSQL database, dropped afterwards', async () => {
  const url = await pgTestDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ db: string; n: string }>(
      `SELECT current_database() AS db, count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(rows[0]?.db).toMatch(/^dodil_t_[0-9a-f]{12}$/);
    expect(rows[0]?.n).toBe('0');
  } finally {
    await client.end();
  }
});
