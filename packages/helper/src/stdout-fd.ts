import { writeSync } from 'node:fs';

/**
 * A writer for a file descriptor (1, 2) with plain blocking `write(2)` calls:
 * each text is written whole before the call returns. `process.stdout` would
 * do, but creating it for a pipe (how git and docker read us) builds a
 * `net.Socket` and node's stream machinery, ~1.5 ms of every credential
 * request (docs/performance.md, "Helper start").
 *
 * The writer returns false once the reader is gone (EPIPE, EBADF: git runs
 * `store` and `erase` with stdout closed), which is not an error for a helper.
 * A non-blocking descriptor (EAGAIN) hands the unwritten rest, and every later
 * text, to `stream()` (node then waits for the reader before exiting), so the
 * order of the output holds.
 */
export function fdWriter(fd: number, stream: () => NodeJS.WritableStream): (text: string) => boolean {
  let fallback: NodeJS.WritableStream | undefined;
  let gone = false;
  const toStream = (bytes: Buffer) => {
    if (fallback === undefined) {
      fallback = stream();
      fallback.on('error', () => {
        gone = true;
      });
    }
    fallback.write(bytes);
  };
  return (text) => {
    if (gone) return false;
    const bytes = Buffer.from(text, 'utf8');
    if (fallback !== undefined) {
      toStream(bytes);
      return !gone;
    }
    let at = 0;
    while (at < bytes.length) {
      try {
        at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          toStream(bytes.subarray(at));
          return !gone;
        }
        if (code === 'EPIPE' || code === 'EBADF') {
          gone = true;
          return false;
        }
        throw error;
      }
    }
    return true;
  };
}
