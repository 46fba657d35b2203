import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBinaries, installOutsideCheckout } from './support/binaries';
import type { Install } from './support/binaries';
import { runProcess, startServer } from './support/processes';
import type { RunningServer } from './support/processes';
import { newWorld } from './support/world';
import type { World } from './support/world';

// better-sqlite3's addon leaves the executable once, into a private content-addressed cache,
// and is verified before every load (packages/server/src/sea/native-addon.ts).
let install: Install;

beforeAll(() => {
  install = installOutsideCheckout(ensureBinaries());
}, 10 * 60_000);

afterAll(() => install.remove());

const ADDON_FILE = /^better_sqlite3-[0-9a-f]{64}\.node$/;

/**
 * An unprivileged identity: `nobody` when the tests run as root (CI does), else ourselves.
 * Hands it the world's home and data dir, and lets it reach the copied executables.
 */
function unprivileged(world: World): { uid: number; gid: number } {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid };
  const nobody = { uid: 65534, gid: 65534 };
  chmodSync(install.root, 0o755);
  chmodSync(world.dir, 0o755);
  mkdirSync(world.dataDir, { mode: 0o700 });
  for (const dir of [world.home, world.dataDir]) chownSync(dir, nobody.uid, nobody.gid);
  return nobody;
}

describe('native addon cache of dodil-server', () => {
  test('two servers starting at once on an empty cache both come up and share one file', async () => {
    const world = newWorld(install);
    const server = join(install.binDir, 'dodil-server');
    const env = (name: string) => world.env({ DODIL_DATA_DIR: join(world.dir, name) });

    const started = await Promise.allSettled([
      startServer(server, { env: env('a'), cwd: world.dir }),
      startServer(server, { env: env('b'), cwd: world.dir }),
    ]);
    const running = started.flatMap((s): RunningServer[] => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'ok'))).toEqual(['ok', 'ok']);
    } finally {
      await Promise.all(running.map((r) => r.stop()));
    }

    const files = readdirSync(world.cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(ADDON_FILE);
    expect(statSync(world.cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(world.cacheDir, files[0] ?? '')).mode & 0o777).toBe(0o600);
  });

  test('a tampered cached addon is refused with a clear error, before anything is loaded', async () => {
    const world = newWorld(install);
    const server = join(install.binDir, 'dodil-server');
    const run = (args: string[]) => runProcess(server, args, { env: world.env(), cwd: world.dir });
    expect((await run(['org', 'create', 'acme'])).status).toBe(0);
    const [file] = readdirSync(world.cacheDir);
    const cached = join(world.cacheDir, file ?? '');
    const bytes = readFileSync(cached);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
    writeFileSync(cached, bytes);

    const refused = await run(['org', 'create', 'other']);

    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^dodil-server org: cached native addon .*better_sqlite3-[0-9a-f]{64}\.node does not match/,
    );
    expect(refused.stderr).toMatch(/refusing to load it\. Delete the file/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    // Refused, not repaired: the operator decides.
    expect(readFileSync(cached).equals(bytes)).toBe(true);
  });

  test('a cache directory open to other users is refused', async () => {
    const world = newWorld(install);
    mkdirSync(world.cacheDir, { recursive: true });
    chmodSync(world.cacheDir, 0o755);

    const refused = await runProcess(join(install.binDir, 'dodil-server'), ['org', 'create', 'acme'], {
      env: world.env(),
      cwd: world.dir,
    });

    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^dodil-server org: native addon cache .* is open to other users \(mode 755\); run chmod 700/,
    );
    expect(readdirSync(world.cacheDir)).toEqual([]);
  });

  test('without DODIL_CACHE_DIR the cache goes to $XDG_CACHE_HOME/dodil, else ~/.cache/dodil', async () => {
    const world = newWorld(install);
    const server = join(install.binDir, 'dodil-server');
    const { DODIL_CACHE_DIR: _unused, ...withoutCacheDir } = world.env();

    const viaHome = await runProcess(server, ['org', 'create', 'a'], {
      env: withoutCacheDir,
      cwd: world.dir,
    });
    expect(viaHome.status).toBe(0);
    expect(readdirSync(join(world.home, '.cache', 'dodil'))).toEqual([expect.stringMatching(ADDON_FILE)]);

    const xdg = join(world.dir, 'xdg');
    const viaXdg = await runProcess(server, ['org', 'create', 'b'], {
      env: { ...withoutCacheDir, XDG_CACHE_HOME: xdg },
      cwd: world.dir,
    });
    expect(viaXdg.status).toBe(0);
    expect(readdirSync(join(xdg, 'dodil'))).toEqual([expect.stringMatching(ADDON_FILE)]);
  });

  test('as an unprivileged user the addon goes to its own ~/.cache/dodil, owned by it', async () => {
    const world = newWorld(install);
    const as = unprivileged(world);
    const { DODIL_CACHE_DIR: _unused, ...withoutCacheDir } = world.env();

    const result = await runProcess(join(install.binDir, 'dodil-server'), ['org', 'create', 'acme'], {
      env: withoutCacheDir,
      cwd: world.dir,
      as,
    });

    expect(result.status, result.stderr).toBe(0);
    const cacheDir = join(world.home, '.cache', 'dodil');
    expect(statSync(cacheDir)).toMatchObject({ uid: as.uid });
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const [file] = readdirSync(cacheDir);
    expect(statSync(join(cacheDir, file ?? ''))).toMatchObject({ uid: as.uid });
  });

  test("a cache directory owned by another user is refused (here: root's /)", async () => {
    const world = newWorld(install);
    const as = unprivileged(world);

    const refused = await runProcess(join(install.binDir, 'dodil-server'), ['org', 'create', 'acme'], {
      env: world.env({ DODIL_CACHE_DIR: '/' }),
      cwd: world.dir,
      as,
    });

    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^dodil-server org: native addon cache \/ belongs to uid 0, not to us \(uid \d+\); refusing/,
    );
  });
});
