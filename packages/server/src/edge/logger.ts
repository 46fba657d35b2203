/** A structured log sink: one JSON object per line. Values and tokens never go in. */
export interface Logger {
  info(event: Record<string, unknown>): void;
  error(event: Record<string, unknown>): void;
}

/** A logger writing JSON lines to a stream. */
export function createJsonLogger(write: (line: string) => void, clock: () => number = Date.now): Logger {
  // Under load many lines share a millisecond: the timestamp's text is made once per millisecond.
  let lastMs = Number.NaN;
  let lastTime = '';
  const emit = (level: string, event: Record<string, unknown>) => {
    const ms = clock();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    write(`${JSON.stringify({ time: lastTime, level, ...event })}\n`);
  };
  return {
    info: (event) => emit('info', event),
    error: (event) => emit('error', event),
  };
}

/** A logger that drops everything (tests that don't look at logs). */
export const silentLogger: Logger = { info() {}, error() {} };
