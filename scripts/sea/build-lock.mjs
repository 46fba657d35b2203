// A directory lock, so two test workers (or a developer and a test) building the binaries at once
// take turns instead of writing the same files together.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `work` while holding `lockDir`. A lock left by a process that no longer exists is taken
 * over; waiting is bounded by `timeoutMs`.
 * @template T
 * @param {string} lockDir
 * @param {() => Promise<T>} work
 * @param {{ timeoutMs?: number, onWait?: (holder: string) => void }} [options]
 * @returns {Promise<T>}
 */
export async function withLock(lockDir, work, { timeoutMs = 15 * 60_000, onWait } = {}) {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = readHolder(lockDir);
    if (holder === undefined ? isOld(lockDir) : !isAlive(holder)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (held by pid ${holder ?? '?'})`);
    if (!told) {
      onWait?.(String(holder ?? '?'));
      told = true;
    }
    await sleep(250);
  }
  try {
    writeFileSync(join(lockDir, 'pid'), String(process.pid));
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readHolder(lockDir) {
  try {
    const pid = Number.parseInt(readFileSync(join(lockDir, 'pid'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // Just created, pid not written yet: treat as held.
    return undefined;
  }
}

/** A lock without a pid after a minute belongs to a process that died right after mkdir. */
function isOld(lockDir) {
  try {
    return Date.now() - statSync(lockDir).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}
