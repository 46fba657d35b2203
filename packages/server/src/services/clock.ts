/** Milliseconds since the epoch; injected so tests can control time. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
