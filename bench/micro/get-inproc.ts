// CPU µs per GetSecret through the REST app in one process, no sockets:
//   npx tsx bench/micro/get-inproc.ts [TREE] [no-audit]
// TREE is a checkout whose packages/server/src is measured (default: this one), e.g. the tree
// before a change, inside this repo so it resolves the same packages: `mkdir -p bench/.cache/base &&
// git archive main packages/server/src | tar -x -C bench/.cache/base`, then alternate
// runs of both. Authentication, routing, the service, the audit (unless `no-audit`), SQLite,
// AES-GCM and JSON all run as in the server, 32 requests in flight on the cached 10k store (run
// `npm run bench` once first); the request and response are undici's (`app.request`), which adds
// a constant cost node's HTTP server does not have (compare trees, not absolute figures).
// Steadier than the HTTP bench on a shared machine: no load generator competes for a core.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as AppModule from '../../packages/server/src/app';
import type * as ComposeModule from '../../packages/server/src/compose';
import type * as LoggerModule from '../../packages/server/src/edge/logger';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tree = resolve(process.argv[2] ?? repo);
const noAudit = process.argv[3] === 'no-audit';
// The bench variant's switch, read at run time by unbundled sources (see src/build/bench-variants.ts).
if (noAudit) (globalThis as Record<string, unknown>).__DODIL_BENCH_NO_AUDIT__ = true;
const MASTER_KEY = 'pSeL6jh6tVgl2Qo3d3Ae08kUXxTqQH63sDu06WnlGSI='; // the bench stores' key

// The bench's own store cache (plain ESM, untyped).
const { cachedStore } = (await import('../lib/store-cache.mjs')) as {
  cachedStore: (repo: string, storesDir: string, orgs: number, perOrg: number) => string | undefined;
};
const store = cachedStore(repo, join(repo, 'bench/.cache/stores'), 100, 100);
if (store === undefined)
  throw new Error('no cached 10k store of the current format: run `npm run bench` once');
const dir = mkdtempSync(join(tmpdir(), 'dodil-inproc-'));
copyFileSync(join(store, 'dodil.db'), join(dir, 'dodil.db'));
const tokens = (
  JSON.parse(readFileSync(join(store, 'tokens.json'), 'utf8')) as { tokens: { token: string }[] }
).tokens.map((t) => t.token);

const src = join(tree, 'packages/server/src');
// Typed as this tree's modules; another tree's are the same modules before or after a change.
const { openRuntime } = (await import(join(src, 'compose.ts'))) as typeof ComposeModule;
const { createApp } = (await import(join(src, 'app.ts'))) as typeof AppModule;
const { createJsonLogger } = (await import(join(src, 'edge/logger.ts'))) as typeof LoggerModule;
const rt = await openRuntime({
  databaseFile: join(dir, 'dodil.db'),
  masterKey: Buffer.from(MASTER_KEY, 'base64'),
});
let logged = 0;
const app = createApp({
  secrets: rt.secrets,
  auth: rt.auth,
  isReady: () => rt.isReady(),
  logger: createJsonLogger((line: string) => {
    logged += line.length;
  }),
  clientAddressOf: () => '127.0.0.1',
  tokens: rt.tokens,
  auditQuery: rt.auditQuery,
});

// A fixed pseudo-random sequence: every tree sees the same requests.
let seed = 12345;
const pick = (n: number) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
async function one(): Promise<void> {
  const token = tokens[pick(tokens.length)];
  const slot = `slot-${String(pick(100)).padStart(6, '0')}`;
  const res = await app.request(`/v1/ignite/secrets/${slot}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`GetSecret answered ${res.status}`);
  await res.text();
}
async function run(n: number): Promise<void> {
  for (let i = 0; i < n; i += 32) await Promise.all(Array.from({ length: 32 }, one));
}

await run(6400); // warm-up
const rounds: string[] = [];
for (let r = 0; r < 5; r++) {
  const start = process.cpuUsage();
  await run(6400);
  const used = process.cpuUsage(start);
  rounds.push(((used.user + used.system) / 6400).toFixed(1));
}
console.log(
  `${tree}${noAudit ? ' (no-audit)' : ''}: ${rounds.join(' ')} CPU µs/request (${logged > 0 ? 'logged' : 'no log'})`,
);
await rt.close();
rmSync(dir, { recursive: true, force: true });
