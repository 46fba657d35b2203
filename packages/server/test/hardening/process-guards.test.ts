import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { softCoreLimit } from '../../src/cli/process-guards';
import { weakKeyReason } from '../../src/crypto/key-strength';
import { openRuntime } from '../../src/runtime';
import { cli } from '../security/support';
import { tempDir, testKey, testKeyB64 } from '../support/harness';
import { builtServer, spawnServer } from '../support/server-process';

const b64 = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64');
const ZERO = new Uint8Array(32);
const PASSWORD = Buffer.from('password'.repeat(4));

/** `node main.cjs start …` under `ulimit -c <core>`, run to exit (bounded). */
function startUnderUlimit(core: string, args: string[], env: Record<string, string>) {
  try {
    const out = execFileSync(
      'bash',
      [
        '-c',
        `ulimit -c ${core} && exec "$0" "$@"`,
        process.execPath,
        builtServer(),
        'start',
        '--listen',
        '127.0.0.1:0',
        ...args,
      ],
      {
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 20_000,
      },
    );
    return { code: 0, stderr: '', stdout: out };
  } catch (err) {
    const e = err as { status?: number; stderr?: string };
    return { code: e.status ?? -1, stderr: e.stderr ?? '', stdout: '' };
  }
}

/** Starts the server under `ulimit -c <core>`, waits (bounded) for it to listen, then stops it by PID. */
function listensUnderUlimit(core: string, args: string[], env: Record<string, string>) {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -c ${core} && exec "$0" "$@"`,
      process.execPath,
      builtServer(),
      'start',
      '--listen',
      '127.0.0.1:0',
      ...args,
    ],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise<{ listening: boolean; stderr: string }>((resolve) => {
    const done = (listening: boolean) => {
      clearInterval(poll);
      clearTimeout(timer);
      child.kill('SIGTERM');
      resolve({ listening, stderr });
    };
    const poll = setInterval(() => {
      if (stdout.includes('"msg":"listening"')) done(true);
    }, 50);
    const timer = setTimeout(() => done(false), 20_000);
    child.once('exit', () => done(stdout.includes('"msg":"listening"')));
  });
}

describe('issue 13 item 8: obviously weak master keys', () => {
  test.each([
    ['32 zero bytes', ZERO, 'every byte is the same'],
    ['"password" repeated', PASSWORD, 'it repeats a 8-byte pattern'],
    ['a 3-byte pattern', Buffer.from('abc'.repeat(11)).subarray(0, 32), 'it repeats a 3-byte pattern'],
    [
      'few distinct bytes',
      Buffer.from('aabbcadbeccadebbaecdabeccbadeabd'),
      'it has only 5 distinct byte values',
    ],
    [
      'a typed passphrase',
      Buffer.from('Tr0ub4dor&3-correct-horse-batt!!'),
      'it is printable text (a password), not random bytes',
    ],
  ])('%s is weak', (_label, key, reason) => {
    expect(weakKeyReason(key)).toBe(reason);
  });

  test('no random key is called weak (20,000 from the system source, and the test keys)', () => {
    for (let i = 0; i < 20_000; i++) expect(weakKeyReason(randomBytes(32))).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(weakKeyReason(testKey(i))).toBeUndefined();
  });

  test('a new store refuses one; an existing store opens with a warning naming keys rotate-master', async () => {
    // Before the fix: exit 0, store created under 32 zero bytes.
    const fresh = await cli(['org', 'create', 'acme', '--data-dir', tempDir()], {
      DODIL_MASTER_KEY: b64(ZERO),
    });
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr).toContain('refusing a weak master key: every byte is the same');
    expect(fresh.stderr).toContain('dodil-server keys generate');

    const dir = tempDir();
    const old = await openRuntime({ databaseFile: join(dir, 'dodil.db'), masterKey: ZERO });
    await old.close();
    const opened = await cli(['org', 'create', 'acme', '--data-dir', dir], { DODIL_MASTER_KEY: b64(ZERO) });
    expect(opened.code).toBe(0);
    expect(opened.stderr).toContain('keys rotate-master');

    const weakNew = join(dir, 'new.key');
    writeFileSync(weakNew, b64(PASSWORD));
    const rotated = await cli(
      ['keys', 'rotate-master', '--new-master-key-file', weakNew, '--data-dir', dir],
      { DODIL_MASTER_KEY: b64(ZERO) },
    );
    expect([rotated.code === 0, rotated.stderr]).toEqual([
      false,
      expect.stringContaining('refusing a weak master key'),
    ]);

    const generated = await cli(['keys', 'generate']);
    const again = await cli(['keys', 'generate']);
    const key = Buffer.from(generated.stdout.trim(), 'base64');
    expect([generated.code, key.length, weakKeyReason(key), generated.stdout === again.stdout]).toEqual([
      0,
      32,
      undefined,
      false,
    ]);
    const strong = join(dir, 'strong.key');
    writeFileSync(strong, generated.stdout);
    const fixed = await cli(['keys', 'rotate-master', '--new-master-key-file', strong, '--data-dir', dir], {
      DODIL_MASTER_KEY: b64(ZERO),
    });
    expect(fixed.code).toBe(0);
  });
});

describe('issue 13 item 7: core dumps and the key in the environment', () => {
  test.each([
    ['Max core file size        0                    unlimited            bytes', '0'],
    ['Max core file size        unlimited            unlimited            bytes', 'unlimited'],
    ['nothing here', undefined],
  ])('soft limit of "%s" is %s', (text, soft) => {
    expect(softCoreLimit(`Limit Soft Hard Units\n${text}\n`)).toBe(soft);
  });

  test('start refuses while RLIMIT_CORE is not 0 unless --allow-core-dumps; --dev only warns', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, testKeyB64(31), { mode: 0o600 });
    const env = { DODIL_MASTER_KEY_FILE: keyFile, DODIL_DATA_DIR: join(dir, 'data') };
    // Before the fix: it started (and this call would have timed out serving).
    const refused = startUnderUlimit('unlimited', [], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('ulimit -c 0');
    expect(refused.stderr).toContain('LimitCORE=0');
    expect(refused.stderr).toContain('--allow-core-dumps');

    const allowed = await listensUnderUlimit('unlimited', ['--allow-core-dumps'], env);
    expect(allowed.listening).toBe(true);
    const dev = await listensUnderUlimit('unlimited', ['--dev'], { DODIL_DATA_DIR: join(dir, 'dev') });
    expect(dev.listening).toBe(true);
    expect(dev.stderr).toContain('warning: core dumps are enabled');
  });

  test('a master key from DODIL_MASTER_KEY outside --dev is warned about (/proc/<pid>/environ); a key file is not', async () => {
    const main = builtServer();
    const dir = tempDir();
    const env = { DODIL_MASTER_KEY: testKeyB64(32), DODIL_DATA_DIR: join(dir, 'a') };
    const plain = await spawnServer(main, [], env);
    expect(plain.stderr()).toContain(`/proc/${plain.child.pid}/environ`);
    expect(await plain.stop()).toBe(0);
    const keyFile = join(dir, 'master.key');
    writeFileSync(keyFile, testKeyB64(32), { mode: 0o600 });
    const fromFile = await spawnServer(main, [], {
      DODIL_MASTER_KEY_FILE: keyFile,
      DODIL_DATA_DIR: join(dir, 'a'),
    });
    expect(fromFile.stderr()).not.toContain('environ');
    expect(await fromFile.stop()).toBe(0);
  });
});
