import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, isLoopback, parseListen, resolveMasterKey } from '../../src/config';
import { parseDuration } from '../../src/cli/duration';
import { tempDir, testKeyB64 } from '../support/harness';

const KEY_B64 = testKeyB64(9);

describe('parseListen', () => {
  test.each([
    ['127.0.0.1:8700', { host: '127.0.0.1', port: 8700 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    [':8700', { host: '0.0.0.0', port: 8700 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
  ])('%s', (text, want) => expect(parseListen(text)).toEqual(want));

  test.each([['8700'], ['127.0.0.1'], ['127.0.0.1:70000'], ['a:b'], ['[::1:80']])('%s is refused', (text) =>
    expect(() => parseListen(text)).toThrow(ConfigError),
  );
});

test.each([
  ['127.0.0.1', true],
  ['127.9.9.9', true],
  ['::1', true],
  ['localhost', true],
  ['0.0.0.0', false],
  ['10.0.0.1', false],
  ['::', false],
])('isLoopback(%s) = %s', (host, want) => expect(isLoopback(host)).toBe(want));

test.each([
  ['90d', 90 * 86_400_000],
  ['12h', 12 * 3_600_000],
  ['30m', 1_800_000],
  ['45s', 45_000],
  ['2w', 2 * 604_800_000],
])('parseDuration(%s)', (text, ms) => expect(parseDuration(text)).toBe(ms));

test.each([['0d'], ['10'], ['-1d'], ['1y'], ['']])('parseDuration(%s) is refused', (text) =>
  expect(() => parseDuration(text)).toThrow(ConfigError),
);

describe('resolveMasterKey', () => {
  const base = { flagFile: undefined, env: {}, dev: false, generateDev: false };

  test('refuses to run without a key unless --dev', () => {
    const dataDir = tempDir();
    expect(() => resolveMasterKey({ ...base, dataDir })).toThrow(/no master key/);
  });

  test('reads DODIL_MASTER_KEY (base64 of 32 bytes)', () => {
    const r = resolveMasterKey({ ...base, dataDir: tempDir(), env: { DODIL_MASTER_KEY: KEY_B64 } });
    expect(Buffer.from(r.key).toString('base64')).toBe(KEY_B64);
    expect(r.source).toBe('DODIL_MASTER_KEY');
  });

  test.each([['not base64!'], [Buffer.alloc(31).toString('base64')], [Buffer.alloc(33).toString('base64')]])(
    'refuses a bad DODIL_MASTER_KEY %s without echoing it',
    (value) => {
      let message = '';
      try {
        resolveMasterKey({ ...base, dataDir: tempDir(), env: { DODIL_MASTER_KEY: value } });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/DODIL_MASTER_KEY/);
      expect(message).not.toContain(value);
    },
  );

  test('reads a key file from the flag, then DODIL_MASTER_KEY_FILE', () => {
    const dir = tempDir();
    const file = join(dir, 'k');
    writeFileSync(file, `${KEY_B64}\n`);
    expect(resolveMasterKey({ ...base, dataDir: dir, flagFile: file }).source).toBe(file);
    expect(resolveMasterKey({ ...base, dataDir: dir, env: { DODIL_MASTER_KEY_FILE: file } }).source).toBe(
      file,
    );
    expect(() => resolveMasterKey({ ...base, dataDir: dir, flagFile: join(dir, 'missing') })).toThrow(
      /cannot read/,
    );
  });

  test('--dev generates a 0600 key file once, then reuses it', () => {
    const dir = tempDir();
    const first = resolveMasterKey({ ...base, dataDir: dir, dev: true, generateDev: true });
    expect(first.generated).toBe(true);
    const file = join(dir, 'master.key');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = resolveMasterKey({ ...base, dataDir: dir, dev: true, generateDev: true });
    expect(second.generated).toBe(false);
    expect(Buffer.from(second.key).equals(Buffer.from(first.key))).toBe(true);
  });
});
