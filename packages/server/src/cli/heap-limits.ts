import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * V8's young generation, per semi-space, that a loaded server keeps (MiB). V8's default grows it
 * to 16 MiB per semi-space (32 MiB of new space) under load, though a request's garbage dies in
 * far less; 2 MiB is what `--max-semi-space-size=2` gives, measured in docs/performance.md.
 */
export const YOUNG_SEMI_SPACE_MIB = 2;

/**
 * How far the old generation may grow past what the last full GC kept alive (percent). V8's own
 * factor reaches 4× with a large heap limit, so garbage promoted out of the young generation
 * piles up to tens of MiB before a mark-compact; V8 still adds at least its minimum step (8 MiB).
 */
export const OLD_GROWING_PERCENT = 50;

/** What {@link limitHeapGrowth} touches; tests pass fakes or the real `node:v8`. */
export interface HeapControls {
  /** Bytes of V8's new space (both semi-spaces). */
  newSpaceBytes(): number;
  setFlags(flags: string): void;
  /** Schedules `run` after `ms`, unref'd so it never keeps the process alive. */
  later(run: () => void, ms: number): void;
}

const MiB = 1024 * 1024;
/** While the young generation may still grow: V8 doubles it at most once before this fires. */
const FAST_POLL_MS = 10;
/** At the cap with growth off, only a shrink (V8's memory reducer, when idle) changes anything. */
const SLOW_POLL_MS = 1000;

const nodeControls: HeapControls = {
  newSpaceBytes: () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
  setFlags: (flags) => setFlagsFromString(flags),
  later: (run, ms) => setTimeout(run, ms).unref(),
};

/**
 * Caps the server's V8 heap at run time: node flags cannot reach every launch (the single
 * executable takes none, and the systemd unit clears NODE_OPTIONS), and `--max-semi-space-size`
 * set by `v8.setFlagsFromString` comes too late (V8 sized the heap at start). Two flags V8 does
 * read at every GC are set instead: `--heap-growing-percent` bounds the old generation, and
 * `--semi-space-growth-factor` is switched between 1 (no growth) and 2 (one doubling) so the new
 * space stops at {@link YOUNG_SEMI_SPACE_MIB} per semi-space and regrows to it after V8 shrinks it.
 * Call it first thing in the process, before start-up's allocations grow the young generation.
 * `dodil-server start` calls it only when DODIL_LEAN_HEAP=1: the extra GC costs CPU per request.
 */
export function limitHeapGrowth(
  controls: HeapControls = nodeControls,
  semiSpaceMiB: number = YOUNG_SEMI_SPACE_MIB,
  growingPercent: number = OLD_GROWING_PERCENT,
): void {
  const target = 2 * semiSpaceMiB * MiB;
  controls.setFlags(`--heap-growing-percent=${growingPercent}`);
  let factor = 1;
  controls.setFlags('--semi-space-growth-factor=1');
  const check = (): void => {
    const want = controls.newSpaceBytes() >= target ? 1 : 2;
    if (want !== factor) {
      factor = want;
      controls.setFlags(`--semi-space-growth-factor=${want}`);
    }
    controls.later(check, factor === 1 ? SLOW_POLL_MS : FAST_POLL_MS);
  };
  // Start-up stays at V8's smallest young generation; the first check lets it grow under load.
  controls.later(check, SLOW_POLL_MS);
}
