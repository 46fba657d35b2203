import { CliError } from './errors';
import type { Transport } from './http/transport';

/**
 * Everything a command may touch outside its arguments. Only `main.ts` builds
 * the real one from `process`; tests build their own.
 */
export interface Io {
  /** The program's standard input, opened only when a command asks for it. */
  stdin: () => AsyncIterable<Uint8Array>;
  /** Writes to standard output (protocol lines in helper modes). */
  stdout: (text: string) => void;
  /** Writes to standard error (diagnostics, one line per error). */
  stderr: (text: string) => void;
  /** The environment, read-only. */
  env: Readonly<Record<string, string | undefined>>;
  /** How requests reach the server. */
  transport: Transport;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** Thrown by the readers below when stdin is larger than the caller allows (exit 2 in the CLI). */
export class StdinTooLargeError extends CliError {
  constructor(readonly limit: number) {
    super('INVALID_ARGUMENT', `standard input is larger than ${limit} bytes`);
    this.name = 'StdinTooLargeError';
  }
}

/** Reads stdin to EOF as UTF-8, refusing more than `limit` bytes. */
export async function readAll(stdin: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    size += chunk.length;
    if (size > limit) throw new StdinTooLargeError(limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads stdin up to the first blank line or EOF, whichever comes first
 * (git's credential block). Stops reading at the blank line so a caller that
 * keeps the pipe open cannot make us hang. Refuses more than `limit` bytes.
 */
export async function readUntilBlankLine(stdin: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  let buffer = Buffer.alloc(0);
  for await (const chunk of stdin) {
    buffer = Buffer.concat([buffer, chunk]);
    const end = blankLineEnd(buffer);
    if (end >= 0) return buffer.subarray(0, end).toString('utf8');
    if (buffer.length > limit) throw new StdinTooLargeError(limit);
  }
  return buffer.toString('utf8');
}

// Index just past the last content line before a blank line ("\n\n", "\n\r\n",
// or a blank first line), or -1 when the block is not complete yet.
function blankLineEnd(buffer: Buffer): number {
  if (buffer[0] === 0x0a) return 0;
  if (buffer[0] === 0x0d && buffer[1] === 0x0a) return 0;
  for (let i = buffer.indexOf(0x0a); i >= 0; i = buffer.indexOf(0x0a, i + 1)) {
    const next = buffer[i + 1];
    if (next === 0x0a) return i + 1;
    if (next === 0x0d && buffer[i + 2] === 0x0a) return i + 1;
  }
  return -1;
}
