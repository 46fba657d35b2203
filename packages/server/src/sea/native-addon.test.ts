import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  type AddonCacheDeps,
  type AddonCacheFs,
  defaultAddonCacheDeps,
  loadNativeAddon,
  loadSeaSqliteBinding,
  materialiseNativeAddon,
  NativeAddonError,
  resolveAddonCacheDir,
  SQLITE_ADDON_ASSET,
  sha256Hex,
} from './native-addon';

const uid = process.getuid?.();
const bytes = new TextEncoder().encode('pretend this is an ELF shared object\n');

function tempRoot(): string {
  const root = fs.mkdtempSync(join(tmpdir(), 'dodil-addon-'));
  onTestFinished(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

function deps(overrides: Partial<AddonCacheDeps> = {}): AddonCacheDeps {
  return { ...defaultAddonCacheDeps(uid, 4242), ...overrides };
}

function materialise(cacheDir: string, d: AddonCacheDeps = deps()): string {
  return materialiseNativeAddon({ bytes, cacheDir, fileStem: 'addon' }, d);
}

describe('resolveAddonCacheDir', () => {
  test.each([
    [{ DODIL_CACHE_DIR: '/srv/cache' }, '/srv/cache'],
    [{ DODIL_CACHE_DIR: 'rel/cache' }, '/work/dir/rel/cache'],
    [{ DODIL_CACHE_DIR: '/srv/cache', XDG_CACHE_HOME: '/xdg' }, '/srv/cache'],
    [{ XDG_CACHE_HOME: '/xdg' }, '/xdg/dodil'],
    [{ XDG_CACHE_HOME: 'relative-is-ignored' }, '/home/u/.cache/dodil'],
    [{ DODIL_CACHE_DIR: '' }, '/home/u/.cache/dodil'],
    [{}, '/home/u/.cache/dodil'],
  ])('%o → %s', (env, expected) => {
    expect(resolveAddonCacheDir(env, '/home/u', '/work/dir')).toBe(expected);
  });

  test('without a home directory it asks for DODIL_CACHE_DIR', () => {
    expect(() => resolveAddonCacheDir({}, '', '/')).toThrow(/DODIL_CACHE_DIR/);
  });
});

describe('materialiseNativeAddon', () => {
  test('writes a content-addressed 0600 file into a new 0700 directory', () => {
    const cacheDir = join(tempRoot(), 'a', 'dodil');
    const path = materialise(cacheDir);

    expect(path).toBe(join(cacheDir, `addon-${sha256Hex(bytes)}.node`));
    expect(fs.readFileSync(path)).toEqual(Buffer.from(bytes));
    expect(fs.statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(cacheDir)).toEqual([`addon-${sha256Hex(bytes)}.node`]);
  });

  test('reuses the cached file on later starts', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    const first = materialise(cacheDir);
    const inode = fs.statSync(first).ino;

    const second = materialise(cacheDir, deps({ fs: { ...fs, openSync: () => failWith('EACCES') } }));

    expect(second).toBe(first);
    expect(fs.statSync(second).ino).toBe(inode);
  });

  test('another process publishing the file mid-write is harmless', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    let raced = false;
    // Interleave: the moment we open our temp file, a "second process" runs its whole first start.
    const racingFs: AddonCacheFs = {
      ...fs,
      openSync: (...args: Parameters<typeof fs.openSync>) => {
        if (!raced) {
          raced = true;
          materialise(cacheDir, deps({ tempSuffix: () => 'other' }));
        }
        return fs.openSync(...args);
      },
    };

    const path = materialise(cacheDir, deps({ fs: racingFs }));

    expect(raced).toBe(true);
    expect(fs.readFileSync(path)).toEqual(Buffer.from(bytes));
    expect(fs.readdirSync(cacheDir)).toEqual([`addon-${sha256Hex(bytes)}.node`]);
  });

  test('refuses a cached file whose bytes were changed, and leaves it for the operator', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    const path = materialise(cacheDir);
    const tampered = Buffer.from(bytes);
    tampered[3] = (tampered[3] ?? 0) ^ 0xff;
    fs.writeFileSync(path, tampered);

    expect(() => materialise(cacheDir)).toThrow(NativeAddonError);
    expect(() => materialise(cacheDir)).toThrow(/sha256 differs.*refusing to load/);
    expect(fs.readFileSync(path)).toEqual(tampered);
  });

  test('refuses a cache directory that others can enter', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    fs.mkdirSync(cacheDir, { mode: 0o755 });
    fs.chmodSync(cacheDir, 0o755);

    expect(() => materialise(cacheDir)).toThrow(/open to other users \(mode 755\); run chmod 700/);
  });

  test('refuses a cached file that others can read or write', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    const path = materialise(cacheDir);
    fs.chmodSync(path, 0o666);

    expect(() => materialise(cacheDir)).toThrow(/cached native addon .* open to other users \(mode 666\)/);
  });

  test('refuses a cache directory or file owned by someone else', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    materialise(cacheDir);

    expect(() => materialise(cacheDir, deps({ uid: (uid ?? 0) + 1 }))).toThrow(/belongs to uid .* not to us/);
  });

  test('refuses a symbolic link as the cache directory or as the cached file', () => {
    const root = tempRoot();
    const real = join(root, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    fs.symlinkSync(real, join(root, 'link'));
    expect(() => materialise(join(root, 'link'))).toThrow(/is a symbolic link/);

    const cacheDir = join(root, 'dodil');
    const path = materialise(cacheDir);
    fs.renameSync(path, join(root, 'elsewhere.node'));
    fs.symlinkSync(join(root, 'elsewhere.node'), path);
    expect(() => materialise(cacheDir)).toThrow(/not a regular file/);
  });

  test('a failed write leaves no temp file and says why', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    const fullDisk: AddonCacheFs = { ...fs, writeSync: () => failWith('ENOSPC') };

    expect(() => materialise(cacheDir, deps({ fs: fullDisk }))).toThrow(
      /cannot write the native addon .*ENOSPC/,
    );
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  test('a cache path that cannot be created is a clear error', () => {
    const root = tempRoot();
    fs.writeFileSync(join(root, 'file'), '');

    expect(() => materialise(join(root, 'file', 'dodil'))).toThrow(
      /cannot create the native addon cache .*ENOTDIR/,
    );
  });
});

describe('loading the real better-sqlite3 addon', () => {
  const addonPath = createRequire(import.meta.url).resolve(
    'better-sqlite3/build/Release/better_sqlite3.node',
  );

  test('the extracted addon works as better-sqlite3 nativeBinding', () => {
    const cacheDir = join(tempRoot(), 'dodil');
    const asset = fs.readFileSync(addonPath);
    const binding = loadSeaSqliteBinding({
      getAsset: (key) => {
        expect(key).toBe(SQLITE_ADDON_ASSET);
        return asset.buffer.slice(asset.byteOffset, asset.byteOffset + asset.byteLength);
      },
      env: { DODIL_CACHE_DIR: cacheDir },
      homeDir: '/nonexistent',
      cwd: '/',
      dlopen: (module, filename) => process.dlopen(module, filename),
      deps: deps(),
    });

    // @types/better-sqlite3 only knows the string form; the library also takes the addon object.
    const nativeBinding: unknown = binding;
    const db = new Database(':memory:', { nativeBinding: nativeBinding as string });
    onTestFinished(() => {
      db.close();
    });
    expect(db.prepare('select 40 + 2 as answer').get()).toEqual({ answer: 42 });
  });

  test('a file that is not an addon is a clear error', () => {
    const path = materialise(join(tempRoot(), 'dodil'));

    expect(() => loadNativeAddon(path, (module, filename) => process.dlopen(module, filename))).toThrow(
      /cannot load the native addon .*addon-/,
    );
  });
});

function failWith(code: string): never {
  throw Object.assign(new Error(`simulated ${code}`), { code });
}
