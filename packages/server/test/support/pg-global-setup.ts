import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test PostgreSQL server; empty when none could be started (tests then fail loudly). */
    pgAdminUrl: string;
    /** Why no PostgreSQL is available, when `pgAdminUrl` is empty. */
    pgUnavailable: string;
  }
}

const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'scripts',
  'pg',
  'test-postgres.sh',
);

/**
 * Vitest globalSetup of the server project: `DODIL_TEST_PG_URL` when set (CI starts one server
 * for the whole run), otherwise a PostgreSQL of our own from scripts/pg/test-postgres.sh, stopped
 * (by its pid, through pg_ctl) when the run ends. Tests create their own database in it
 * (test/support/pg.ts).
 */
export default function setup(project: TestProject): (() => void) | undefined {
  const given = process.env.DODIL_TEST_PG_URL;
  if (given !== undefined && given !== '') {
    project.provide('pgAdminUrl', given);
    project.provide('pgUnavailable', '');
    return undefined;
  }
  let out: string;
  try {
    out = execFileSync('bash', [script, 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
  } catch (err) {
    // Only the PostgreSQL tests need it; they fail with this reason instead of every test failing here.
    project.provide('pgAdminUrl', '');
    project.provide(
      'pgUnavailable',
      `could not start PostgreSQL: ${String((err as { stderr?: unknown }).stderr ?? err)}`,
    );
    return undefined;
  }
  const url = /^DODIL_TEST_PG_URL=(.+)$/m.exec(out)?.[1] ?? '';
  const dir = /^DODIL_TEST_PG_DIR=(.+)$/m.exec(out)?.[1] ?? '';
  project.provide('pgAdminUrl', url);
  project.provide('pgUnavailable', url === '' ? `unexpected output of test-postgres.sh: ${out}` : '');
  return () => {
    if (dir !== '') execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore', timeout: 60_000 });
  };
}
