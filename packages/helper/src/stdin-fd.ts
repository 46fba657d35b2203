import { readSync } from 'node:fs';

/**
 * Reads a file descriptor (stdin: 0) as an async iterable of chunks with
 * plain blocking `read(2)` calls. `process.stdin` would do, but creating it
 * loads node's stream machinery: ~6 ms of a ~50 ms start, paid by every git
 * and docker credential request. Falls back to `fallback()` (the stream) when
 * the descriptor is non-blocking (EAGAIN) or cannot be read this way.
 */
export async function* readFd(
  fd: number,
  fallback: () => AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EOF') return;
      if (code === 'EAGAIN' || code === 'EISDIR' || code === 'EINVAL') {
        yield* fallback();
        return;
      }
      throw error;
    }
    if (n === 0) return;
    yield Buffer.from(buffer.subarray(0, n));
  }
}
