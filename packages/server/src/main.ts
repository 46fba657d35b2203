#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { getAsset, isSea } from 'node:sea';
import type { CliIo } from './cli/io';
import { limitHeapGrowth } from './cli/heap-limits';
import { runServerCli } from './cli/run';
import { defaultAddonCacheDeps, loadSeaSqliteBinding } from './sea/native-addon';

// The only file that touches the process: argv, env, streams, signals, exit code.
declare const __DODIL_VERSION__: string | undefined;
declare const __DODIL_COMMIT__: string | undefined;
const version = `${typeof __DODIL_VERSION__ === 'string' ? __DODIL_VERSION__ : '0.1.0-dev'} (${
  typeof __DODIL_COMMIT__ === 'string' ? __DODIL_COMMIT__ : 'unknown commit'
})`;

// Opt-in, first, before start-up allocates: the server's heap bounds (docs/performance.md, "Server
// memory and GetSecret @1M"). They keep RSS near 100 MB under load instead of 130-140 MiB, but the
// extra GC costs ~20% CPU per GetSecret (measured), so speed stays the default. Only `start` runs
// long enough to matter.
if (process.argv[2] === 'start' && process.env.DODIL_LEAN_HEAP === '1') limitHeapGrowth();

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => controller.abort());
}

// Inside the single executable better-sqlite3's addon comes out of the executable itself. Loaded
// on first use, so `--version` and `--help` never touch the cache directory.
let seaBinding: { value: unknown } | undefined;
const loadSeaBinding = (): unknown =>
  (seaBinding ??= {
    value: loadSeaSqliteBinding({
      getAsset: (key) => getAsset(key),
      env: process.env,
      homeDir: homedir(),
      cwd: process.cwd(),
      dlopen: (module, filename) => process.dlopen(module, filename),
      deps: defaultAddonCacheDeps(process.getuid?.(), process.pid),
    }),
  }).value;

const io: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signal: controller.signal,
  version,
  processLimits: () => {
    try {
      return readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined; // not Linux: nothing to check
    }
  },
  pid: process.pid,
  onReload: (handler) => {
    process.on('SIGHUP', handler);
  },
};
// A getter, not a value: spreading or reading it early would extract the addon for every command.
if (isSea()) Object.defineProperty(io, 'nativeBinding', { get: loadSeaBinding, enumerable: true });

// No top-level await: the single-executable bundle is CommonJS.
void runServerCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
