import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { resolveDatabase, redactUrl } from '../../src/cli/database-option';
import { tempDir } from '../support/harness';

test.each([
  [undefined, {}, { engine: 'sqlite' }],
  ['sqlite', { DODIL_DATABASE_URL: 'postgres://a@h/d' }, { engine: 'sqlite' }],
  [
    'postgres://dodil@db.internal:5432/dodil?sslmode=verify-full',
    {},
    { engine: 'postgres', url: 'postgres://dodil@db.internal:5432/dodil?sslmode=verify-full' },
  ],
  [
    undefined,
    { DODIL_DATABASE_URL: 'postgresql://u:pw@h:5/d' },
    { engine: 'postgres', url: 'postgresql://u:pw@h:5/d' },
  ],
])('--database %s with env %j → %j', (flag, env, expected) => {
  expect(resolveDatabase(flag, env)).toEqual(expected);
});

test.each([
  ['postgres://u:secret-pw@h/d', /must not carry a password/],
  ['mysql://u@h/d', /only postgres:\/\//],
  ['postgres://u@h', /must name a host and a database/],
  ['not a url secret-pw', /is not a URL/],
])('--database %s is refused without echoing it', (flag, message) => {
  expect(() => resolveDatabase(flag, {})).toThrow(message);
  try {
    resolveDatabase(flag, {});
  } catch (err) {
    expect((err as Error).message).not.toContain('secret-pw');
  }
});

test('the URL can come from a file (first line), and a password is redacted for logs', () => {
  const file = join(tempDir(), 'db-url');
  writeFileSync(file, 'postgres://u:pw@h:5432/d\n', { mode: 0o600 });
  expect(resolveDatabase(undefined, { DODIL_DATABASE_URL_FILE: file })).toEqual({
    engine: 'postgres',
    url: 'postgres://u:pw@h:5432/d',
  });
  expect(redactUrl('postgres://u:pw@h:5432/d')).toBe('postgres://u:***@h:5432/d');
  expect(() => resolveDatabase(undefined, { DODIL_DATABASE_URL_FILE: join(tempDir(), 'none') })).toThrow(
    /cannot read/,
  );
});
