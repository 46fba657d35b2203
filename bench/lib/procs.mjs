// Server processes for the bench: spawn (pinned), wait until they answer, read /proc, stop by PID.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';

/** True when `taskset` can pin processes here (2 cores: server on 0, load and helpers on 1). */
export function canPin() {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

/** Pins this process (and so every child it spawns later) to `cpu`. */
export function pinSelf(cpu) {
  return spawnSync('taskset', ['-p', '-c', String(cpu), String(process.pid)]).status === 0;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One GET with its own connection; resolves to the status (0 when refused). */
export function probe(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/**
 * Spawns a server (`argv` after node), stdout to `logFile`, pinned to `cpu` when asked, and waits
 * for its `listening` log line and then for `readyPath` to answer 200. `startupMs` is spawn → 200.
 */
export async function startServer({ argv, env, logFile, cpu, readyPath = '/readyz', timeoutMs = 60_000 }) {
  const fd = openSync(logFile, 'w');
  const cmd =
    cpu === undefined
      ? [process.execPath, ...argv]
      : ['taskset', '-c', String(cpu), process.execPath, ...argv];
  const started = performance.now();
  const child = spawn(cmd[0], cmd.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, 'pipe'],
  });
  closeSync(fd);
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 8192) stderr += d;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    let url;
    while (url === undefined) {
      if (exited) throw new Error(`server exited before listening: ${stderr.trim()}`);
      if (performance.now() - started > timeoutMs) throw new Error('server did not start in time');
      const line = readFileSync(logFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"listening"'));
      if (line) url = JSON.parse(line).url;
      else await sleep(1);
    }
    while ((await probe(url + readyPath)) !== 200) {
      if (exited || performance.now() - started > timeoutMs)
        throw new Error(`server not ready: ${stderr.trim()}`);
      await sleep(1);
    }
    return { pid: child.pid, url, startupMs: performance.now() - started, stop, stderr: () => stderr };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Memory of a live process from /proc (MiB): rss, peak rss, anonymous part. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024, anonMiB: kb('RssAnon') / 1024 };
}

/** CPU seconds used so far by a process (user + system). */
export function cpuSecondsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Busy jiffies and total jiffies per CPU, to tell which core was saturated during a run. */
export function cpuTimes() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const idle = v[3] + v[4];
    const total = v.reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - idle, total };
  }
  return out;
}

/** Busy share (0..1) of each CPU between two {@link cpuTimes} readings. */
export function busyShare(before, after) {
  const out = {};
  for (const k of Object.keys(after)) {
    const b = before[k];
    if (!b) continue;
    const total = after[k].total - b.total;
    out[k] = total > 0 ? (after[k].busy - b.busy) / total : 0;
  }
  return out;
}
