// Micro-benchmark of three per-request costs issue 14 removed or shrank: `node bench/micro/per-request.mjs`.
// CPU µs (user+sys, process.cpuUsage) per operation, so a busy machine skews it less than time:
//   - the token cache's `PRAGMA data_version` (now read once per event-loop turn, not per request);
//   - an access-log line written to a file per request vs 16 lines per write (a busy turn);
//   - audit rows inserted one statement each vs 16 rows per statement (tried for the group commit;
//     it did not pay, so the server still inserts one row per statement).
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const dir = mkdtempSync(join(tmpdir(), 'dodil-micro-'));
const db = new Database(join(dir, 'micro.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF'); // the statements' cost, not the disk's

/** CPU µs per call of `fn`, after a warm-up; `per` divides further (rows per call). */
function cpu(name, n, fn, per = 1) {
  for (let i = 0; i < Math.min(n, 2000); i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(start);
  process.stdout.write(`${name.padEnd(44)} ${((used.user + used.system) / (n * per)).toFixed(2)} µs\n`);
}

const dataVersion = db.prepare('PRAGMA data_version').pluck();
cpu('PRAGMA data_version', 200_000, () => dataVersion.get());

const line = `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'request', requestId: '0123456789abcdef0123', method: 'GET', route: '/v1/ignite/secrets/:name', status: 200, durationMs: 1.234, org: 'org-0042' })}\n`;
const fd = openSync(join(dir, 'access.log'), 'w');
cpu('access line: one write(2) per line', 100_000, () => writeSync(fd, line));
let queued = [];
cpu('access line: 16 lines per write(2)', 100_000, () => {
  queued.push(line);
  if (queued.length === 16) {
    writeSync(fd, queued.join(''));
    queued = [];
  }
});
closeSync(fd);

const cols = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
db.exec(
  'CREATE TABLE a (seq INTEGER PRIMARY KEY, t INTEGER, r TEXT, k TEXT, o TEXT, n TEXT, act TEXT, s TEXT, c TEXT, ip TEXT, d TEXT, mac BLOB)',
);
const one = db.prepare(`INSERT INTO a VALUES ${cols}`);
const sixteen = db.prepare(`INSERT INTO a VALUES ${Array(16).fill(cols).join(', ')}`);
let seq = 0;
const mac = Buffer.alloc(32, 7);
const row = () => [
  ++seq,
  Date.now(),
  '0123456789abcdef0123',
  'tok0123456789abc',
  'org-id-0001',
  'org-0042',
  'GetSecret',
  'slot-000001',
  'OK',
  '127.0.0.1',
  null,
  mac,
];
const singles = db.transaction(() => {
  for (let i = 0; i < 16; i++) one.run(row());
});
const multi = db.transaction(() => sixteen.run(Array.from({ length: 16 }, row).flat()));
// Alternated: the table grows as they run, and whichever goes second would pay for that.
for (let round = 0; round < 2; round++) {
  cpu('audit: 16 single-row INSERTs (per row)', 5000, singles, 16);
  cpu('audit: one 16-row INSERT (per row)', 5000, multi, 16);
}
db.close();
rmSync(dir, { recursive: true, force: true });
