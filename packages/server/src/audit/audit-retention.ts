import type { AuditCheckpoint } from './audit-checkpoint';
import type { AuditLog } from './audit-log';

/** What a prune did. */
export interface PruneResult {
  pruned: number;
  /** The checkpoint after it (`undefined` when nothing was ever pruned). */
  checkpoint: AuditCheckpoint | undefined;
}

/** Entries per prune transaction: small, so appends from a serving process wait at most one batch. */
export const PRUNE_BATCH = 500;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Prunes every entry with `seq` at most `through` (never the newest), in
 * small transactions with a pause between them so requests keep being served
 * (their audit appends interleave with the batches).
 */
export async function pruneAuditThrough(
  log: Pick<AuditLog, 'pruneBatch' | 'checkpoint'>,
  through: number,
  options: { batch?: number; pause?: () => Promise<void>; signal?: AbortSignal } = {},
): Promise<PruneResult> {
  const batch = options.batch ?? PRUNE_BATCH;
  const pause = options.pause ?? nextTurn;
  let pruned = 0;
  for (;;) {
    if (options.signal?.aborted === true) break;
    const n = await log.pruneBatch(through, batch);
    pruned += n;
    if (n < batch) break;
    await pause();
  }
  return { pruned, checkpoint: await log.checkpoint() };
}

/** The last seq to prune for "older than `ageMs`": everything before the first entry written since. */
export async function pruneTargetForAge(
  log: Pick<AuditLog, 'firstSeqSince'>,
  nowMs: number,
  ageMs: number,
): Promise<number> {
  const first = await log.firstSeqSince(nowMs - ageMs);
  return first === undefined ? Number.MAX_SAFE_INTEGER : first - 1;
}

/** What {@link startAuditRetention} needs. */
export interface RetentionDeps {
  log: Pick<AuditLog, 'pruneBatch' | 'checkpoint' | 'firstSeqSince'>;
  retentionMs: number;
  clock: () => number;
  /** How often to look for entries past retention (default 10 minutes). */
  intervalMs?: number;
  batch?: number;
  onPruned?: (result: PruneResult) => void;
  onError?: (err: Error) => void;
}

/**
 * `start --audit-retention`: prunes entries older than the retention now and
 * then every interval, in small batches; a failure (a broken chain) is
 * reported and retried next interval, never fatal to serving.
 */
export function startAuditRetention(deps: RetentionDeps): { stop(): Promise<void> } {
  const stopping = new AbortController();
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = pruneTargetForAge(deps.log, deps.clock(), deps.retentionMs)
      .then((through) =>
        pruneAuditThrough(deps.log, through, {
          signal: stopping.signal,
          ...(deps.batch === undefined ? {} : { batch: deps.batch }),
        }),
      )
      .then(
        (result) => {
          if (result.pruned > 0) deps.onPruned?.(result);
        },
        (err: unknown) => deps.onError?.(err instanceof Error ? err : new Error(String(err))),
      );
  };
  run();
  const timer = setInterval(() => {
    void running.then(run);
  }, deps.intervalMs ?? 600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}
