/**
 * A line sink that batches writes: what the server's log lines go through. Function properties,
 * not methods: `write` is handed on detached (`createJsonLogger(out.write)`).
 */
export interface BufferedWriter {
  /** Queues `text`; it is written at the end of this event-loop turn, or now if the buffer is full. */
  write: (text: string) => void;
  /** Writes everything queued, now. */
  flush: () => void;
}

/** Bytes (UTF-16 units, close enough for log lines) queued before a write happens regardless. */
const MAX_BUFFERED = 64 * 1024;

/**
 * Batches `write` calls: every line queued during one event-loop turn goes out in one write at
 * the turn's end (`setImmediate`), so a busy server makes one stdout write per turn instead of one
 * per request, and an idle one still writes each line at once. Nothing is lost on a graceful stop:
 * the pending flush runs before the process can exit, and `flush()` empties it on shutdown.
 */
export function createBufferedWriter(write: (text: string) => void): BufferedWriter {
  let queued: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued.length === 0) return;
    const text = queued.length === 1 ? (queued[0] ?? '') : queued.join('');
    queued = [];
    size = 0;
    write(text);
  };
  return {
    write(text) {
      queued.push(text);
      size += text.length;
      if (size >= MAX_BUFFERED) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
