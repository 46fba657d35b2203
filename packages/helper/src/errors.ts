import type { GrpcCodeName } from '@dodil/shared';

// A registered symbol, not `instanceof`: the CLI commands are a separate
// bundle (see build.mjs); it shares this module with the hot part, and the
// brand keeps the check safe should a copy ever be bundled on both sides.
const BRAND = Symbol.for('dodil.cli-error');

/**
 * The one error type of the helper: a gRPC code (which decides the exit code,
 * docs/contract.md#exit-codes) and a message fit for one line on stderr. Never put a secret value
 * in the message.
 */
export class CliError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: GrpcCodeName,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** True for a {@link CliError} from either bundle. */
export function isCliError(error: unknown): error is CliError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** A bad command line: exit 2 (INVALID_ARGUMENT). */
export function usageError(message: string): CliError {
  return new CliError('INVALID_ARGUMENT', message);
}

/**
 * A missing argument or option (exit 2): the name on its own line, a one-line
 * hint, a blank line, then the usage.
 */
export function missingError(what: string, hint: string, usage: string): CliError {
  return new CliError('INVALID_ARGUMENT', `missing ${what}\nhint: ${hint}\n\n${usage}`);
}

/** Makes any text safe for one stderr line: no line breaks or control characters, bounded length. */
export function oneLine(text: string, max = 500): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
