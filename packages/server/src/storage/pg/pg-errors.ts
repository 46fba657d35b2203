import { AppError } from '../../errors/app-error';

/**
 * The database can't be used right now (down, frozen, failing over, read-only, timed out).
 * Every protocol answers it with UNAVAILABLE (503 + Retry-After); the message never carries the
 * driver's text (it can name hosts and users).
 */
export class DatabaseUnavailableError extends AppError {
  /** A short cause for logs and readiness, without internals. */
  readonly reason: string;

  // An AppError, so every protocol's one error mapper already answers it (REST 503 + Retry-After).
  constructor(reason: string, retryAfterSeconds = 1) {
    super('UNAVAILABLE', `the database is unavailable (${reason}); retry shortly`, retryAfterSeconds);
    this.reason = reason;
  }
}

// SQLSTATE classes and codes that mean "not now" rather than "your request is wrong":
// 08 connection exceptions, 57P01-57P03 shutdown / cannot connect now, 53 insufficient resources,
// 25006 read-only transaction (a primary being demoted or a standby), 57014 query canceled
// (statement_timeout), 55P03 lock_not_available (lock_timeout), 40001/40P01 serialization/deadlock
// (we retry those ourselves once before giving up).
const UNAVAILABLE_CODES = new Set(['25006', '57014', '55P03', '57P01', '57P02', '57P03', '40001', '40P01']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** A short, internals-free cause when `err` means the database is (for now) unusable; otherwise undefined. */
export function unavailableReason(err: unknown): string | undefined {
  if (err instanceof DatabaseUnavailableError) return err.reason;
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === '25006') return 'read-only';
    if (code === '57014') return 'statement timeout';
    if (code === '55P03') return 'lock timeout';
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('53'))
      return `sqlstate ${code}`;
    if (NETWORK_CODES.has(code)) return code.toLowerCase();
  }
  // pg's own client-side failures carry no code; their messages are fixed strings of the driver.
  if (
    /timeout|Connection terminated|not queryable|Client was closed|connection.*(ended|closed)/i.test(
      err.message,
    )
  ) {
    return 'connection lost or timed out';
  }
  return undefined;
}
