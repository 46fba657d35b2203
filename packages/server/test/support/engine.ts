import { execFileSync } from 'node:child_process';
import type { Database } from 'better-sqlite3';

/** The storage engines every parameterised suite runs on. */
export type Engine = 'sqlite' | 'postgres';

let current: Engine = 'sqlite';

/**
 * Selects the engine for the rest of this test file. One suite, several engines: a suite file is
 * written once against `makeHarness()`; a one-line entry file (e.g. `on-postgres/auth.pg.test.ts`)
 * calls `useEngine('postgres')` and imports it, so the same tests run on PostgreSQL. Vitest
 * isolates test files, so the choice never leaks into another file.
 */
export function useEngine(engine: Engine): void {
  current = engine;
}

/** The engine selected for this test file (SQLite unless an entry file chose otherwise). */
export function currentEngine(): Engine {
  return current;
}

/**
 * What a test may do to the raw database on PostgreSQL: `exec` of plain SQL, synchronously like
 * better-sqlite3 (through `psql`, so the statement has committed when it returns). Anything
 * SQLite-specific throws, naming itself, instead of passing silently.
 */
export function psqlDatabase(url: string): Database {
  const unsupported = (what: string) => () => {
    throw new Error(`${what} is SQLite-only; on PostgreSQL tests may use db.exec(sql)`);
  };
  const shim = {
    exec(sql: string) {
      execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      return shim;
    },
    prepare: unsupported('db.prepare'),
    pragma: unsupported('db.pragma'),
    transaction: unsupported('db.transaction'),
  };
  // A deliberate partial stand-in: only `exec` is used by the suites that run on both engines.
  return shim as unknown as Database;
}
