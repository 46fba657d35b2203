/** What {@link FailureAggregator.admit} decided for one failure. */
export type AggregateDecision =
  | {
      record: true;
      /** Identical failures not recorded since the last entry of this key. */ repeated: number;
    }
  | { record: false };

/** Default window: one entry per identical failure, address and minute. */
export const DEFAULT_AGGREGATE_WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

/**
 * Decides which failures get their own audit entry: the first of each key
 * (token id, action, slot, outcome and client address) per window; the
 * identical ones after it in the same window are only counted, and the count
 * rides on that key's next entry. A client repeating one failing request
 * thousands of times a second thus writes one entry a minute, not thousands.
 * Memory is bounded (the stalest keys are forgotten, with their counts).
 */
export interface FailureAggregator {
  admit(key: string): AggregateDecision;
}

/** Creates a {@link FailureAggregator}. */
export function createFailureAggregator(
  clock: () => number,
  windowMs = DEFAULT_AGGREGATE_WINDOW_MS,
): FailureAggregator {
  const seen = new Map<string, { startMs: number; suppressed: number }>();
  return {
    admit(key) {
      const now = clock();
      const state = seen.get(key);
      if (state !== undefined && now - state.startMs < windowMs) {
        state.suppressed += 1;
        return { record: false };
      }
      seen.delete(key);
      seen.set(key, { startMs: now, suppressed: 0 });
      if (seen.size > MAX_KEYS) {
        const stalest = seen.keys().next().value;
        if (stalest !== undefined) seen.delete(stalest);
      }
      return { record: true, repeated: state?.suppressed ?? 0 };
    },
  };
}

/** The detail text of an aggregated entry. */
export function withRepeats(detail: string | undefined, repeated: number): string | undefined {
  if (repeated === 0) return detail;
  const note = `${repeated} identical failure${repeated === 1 ? '' : 's'} before this one not logged individually`;
  return detail === undefined ? note : `${detail}; ${note}`;
}
