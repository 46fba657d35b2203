#!/usr/bin/env node
// Profiles dodil-server under one load mode: `node bench/profile.mjs [get|list|create] [seconds] [variant]`.
// Starts the bench bundle with --cpu-prof on a copy of the cached 10k store (run `npm run bench`
// once first), drives it with wrk/autocannon, stops it, and prints the top functions by self time
// and the top source files. The .cpuprofile stays in bench/.cache/profiles for Chrome DevTools.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBench } from './lib/build.mjs';
import { detectLoadGenerator, runLoad } from './lib/load.mjs';
import { canPin, pinSelf, startServer } from './lib/procs.mjs';
import { table } from './lib/stats.mjs';
import { cachedStore } from './lib/store-cache.mjs';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const cache = join(repo, 'bench/.cache');
const mode = process.argv[2] ?? 'get';
const seconds = Number(process.argv[3] ?? 5);
const MASTER_KEY = 'pSeL6jh6tVgl2Qo3d3Ae08kUXxTqQH63sDu06WnlGSI='; // fixed and random-looking: new stores refuse weak keys

const storeDir = cachedStore(repo, join(cache, 'stores'), 100, 100);
if (!storeDir) throw new Error('no cached 10k store of the current format: run `npm run bench` once first');
const pinned = canPin() && pinSelf(1);
const { server } = await buildBench(repo, cache, process.argv[4]);
const runDir = join(cache, `profile-${process.pid}`);
const profDir = join(cache, 'profiles');
mkdirSync(runDir, { recursive: true });
mkdirSync(profDir, { recursive: true });
copyFileSync(join(storeDir, 'dodil.db'), join(runDir, 'dodil.db'));
const tokens = JSON.parse(readFileSync(join(storeDir, 'tokens.json'), 'utf8')).tokens.map((t) => t.token);
writeFileSync(join(runDir, 'tokens'), `${tokens.join('\n')}\n`);
const before = new Set(readdirSync(profDir));
const s = await startServer({
  argv: [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
    server,
    'start',
    '--data-dir',
    runDir,
    '--listen',
    '127.0.0.1:0',
    '--token-rate',
    '0',
  ],
  env: { DODIL_MASTER_KEY: MASTER_KEY },
  logFile: join(runDir, 'server.log'),
  cpu: pinned ? 0 : undefined,
});
const common = {
  generator: detectLoadGenerator(),
  url: s.url,
  mode,
  tokensFile: join(runDir, 'tokens'),
  perOrg: 100,
  connections: 32,
  serverPid: s.pid,
};
await runLoad({ ...common, seconds: 2 });
const r = await runLoad({ ...common, seconds });
await s.stop();
console.log(
  `${mode}: ${Math.round(r.rps)} req/s, p99 ${r.p99ms} ms, errors ${JSON.stringify(r.errorDetail)} (profiler on: slower than the bench)`,
);
if (r.errors) {
  const lines = readFileSync(join(runDir, 'server.log'), 'utf8').split('\n');
  console.log(
    lines
      .filter((l) => l.includes('"status"') && !l.includes('"status":200'))
      .slice(0, 3)
      .join('\n'),
  );
}
rmSync(runDir, { recursive: true, force: true });

const file = readdirSync(profDir).find((f) => !before.has(f));
const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
const self = new Map();
const byFile = new Map();
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++)
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
let total = 0;
for (const n of prof.nodes) {
  const t = dt.get(n.id) ?? 0;
  total += t;
  const f = n.callFrame;
  const where = f.url ? f.url.replace(/^.*\/(node_modules\/|bench\/\.cache\/build\/)/, '$1') : '(native)';
  const key = `${f.functionName || '(anon)'}  ${where}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
  byFile.set(where, (byFile.get(where) ?? 0) + t);
}
const top = (m, n) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => [k.slice(0, 110), `${((v / total) * 100).toFixed(1)}%`]);
console.log(table([['function (self time)', 'share'], ...top(self, 40)]));
console.log();
console.log(table([['file', 'share'], ...top(byFile, 15)]));
// Inclusive time per function name (each sample counted once per name on its stack).
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
const incl = new Map();
for (const n of prof.nodes) {
  const t = dt.get(n.id) ?? 0;
  if (!t) continue;
  const seen = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const name = nodeById.get(id).callFrame.functionName || '(anon)';
    if (seen.has(name)) continue;
    seen.add(name);
    incl.set(name, (incl.get(name) ?? 0) + t);
  }
}
console.log();
console.log(table([['function (inclusive)', 'share'], ...top(incl, 45)]));
console.log(`\nprofile: ${join(profDir, file)}`);
