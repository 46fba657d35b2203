/** A structured log sink: one JSON object per line. Values and tokens never go in. */
export interface Logger {
  info(event: Record<string, unknown>): void;
  error(event: Record<string, unknown>): void;
}

/** A logger writing JSON lines to a stream. */
export function createJsonLogger(write: (line: string) => void, clock: () => number = Date.now): Logger {
  const emit = (level: string, event: Record<string, unknown>) =>
    write(`${JSON.stringify({ time: new Date(clock()).toISOString(), level, ...event })}\n`);
  return {
    info: (event) => emit('info', event),
    error: (event) => emit('error', event),
  };
}

/** A logger that drops everything (tests that don't look at logs). */
export const silentLogger: Logger = { info() {}, error() {} };
