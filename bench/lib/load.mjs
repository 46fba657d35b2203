// One load run against a URL with wrk (preferred: C, so it is not the bottleneck) or autocannon.
// Both print the same JSON (see load/wrk.lua). The caller pins this process to the load core;
// the load generator inherits that affinity.
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyShare, cpuSecondsOf, cpuTimes } from './procs.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** 'wrk' when it is installed, else 'autocannon'. */
export function detectLoadGenerator() {
  return spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
}

function run(file, args, env) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${file} failed: ${err.message} ${stderr}`));
      const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
      if (!line) return reject(new Error(`${file} printed no result: ${stdout} ${stderr}`));
      resolve(JSON.parse(line));
    });
  });
}

/**
 * Runs `mode` (hello|get|list|create) for `seconds` at `connections` against `url`, and returns
 * requests/s, latency percentiles (ms), error counts, the server's CPU use and each core's busy share.
 * `dbCpuSeconds` (optional) reads the CPU seconds of the server's database (PostgreSQL) so far.
 */
export async function runLoad({
  generator,
  url,
  mode,
  tokensFile,
  perOrg = 1,
  connections,
  seconds,
  serverPid,
  dbCpuSeconds,
}) {
  const cpu0 = cpuTimes();
  const serverCpu0 = cpuSecondsOf(serverPid);
  const dbCpu0 = dbCpuSeconds?.();
  const raw =
    generator === 'wrk'
      ? await run(
          'wrk',
          ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', join(here, '../load/wrk.lua'), url],
          {
            BENCH_MODE: mode,
            BENCH_TOKENS: tokensFile ?? '',
            BENCH_PER_ORG: String(perOrg),
          },
        )
      : await run(process.execPath, [
          join(here, '../load/autocannon-worker.mjs'),
          JSON.stringify({ url, mode, tokensFile, perOrg, connections, seconds }),
        ]);
  const busy = busyShare(cpu0, cpuTimes());
  const serverCpu = cpuSecondsOf(serverPid) - serverCpu0;
  const dbCpu = dbCpuSeconds ? dbCpuSeconds() - dbCpu0 : NaN;
  const secondsRun = raw.durationUs / 1e6;
  const errors = Object.values(raw.errors).reduce((a, b) => a + b, 0);
  return {
    rps: raw.requests / secondsRun,
    p50ms: raw.latencyUs.p50 / 1000,
    p90ms: raw.latencyUs.p90 / 1000,
    p99ms: raw.latencyUs.p99 / 1000,
    requests: raw.requests,
    errors,
    errorDetail: raw.errors,
    serverCpuShare: serverCpu / secondsRun,
    // CPU time the server spent per answered request: steadier than req/s on a shared machine.
    cpuUsPerRequest: raw.requests > 0 ? (serverCpu / raw.requests) * 1e6 : NaN,
    dbCpuUsPerRequest: raw.requests > 0 ? (dbCpu / raw.requests) * 1e6 : NaN,
    coreBusy: busy,
  };
}
