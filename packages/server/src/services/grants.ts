import { AppError } from '../errors/app-error';
import type { Principal } from './context';

/*
 * Slot grants (docs/contract.md#least-privilege): a token may be limited to some slot names. A pattern
 * is an exact slot name (`ghcr-pull`) or a prefix ending in `*` (`gh-*`); `*`
 * alone matches every name. No grants (undefined) means every slot of the org.
 * Every consumer (secret service, registry lookup, tokens API, audit API,
 * console) asks {@link slotAllowed}, so the rule lives in one place.
 */

/** The rule for grant patterns, in the words an error message uses. */
export const GRANT_PATTERN_RULE =
  'a slot pattern is a slot name (1-64 of A-Z a-z 0-9 - _) or a prefix of at most 63 such characters followed by "*"';

const PATTERN = /^(?:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_-]{0,63}\*)$/;

/** At most this many patterns per token (a grant list is a policy, not a slot inventory). */
export const MAX_GRANT_PATTERNS = 64;

/** True when `pattern` is a well-formed grant pattern. */
export function isGrantPattern(pattern: string): boolean {
  return PATTERN.test(pattern);
}

/** True when one pattern matches one slot name (whole name; `*` only at the end). */
export function patternMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/**
 * Whether the principal's grants allow the slot `name`. THE predicate every
 * consumer calls; a principal without grants may use every slot of its org.
 */
export function slotAllowed(principal: Pick<Principal, 'grants'>, name: string): boolean {
  const grants = principal.grants;
  if (grants === undefined) return true;
  return grants.some((p) => patternMatches(p, name));
}

/** Throws PERMISSION_DENIED unless {@link slotAllowed}; the same answer whether or not the slot exists. */
export function requireSlot(principal: Pick<Principal, 'grants'>, name: string): void {
  if (!slotAllowed(principal, name)) {
    throw new AppError('PERMISSION_DENIED', `this token is not granted slot ${name}`);
  }
}

/**
 * Parses and validates a grant list (`gh-*,ghcr-pull` split by the caller, or
 * the API's array): each pattern well formed, at least one, at most
 * {@link MAX_GRANT_PATTERNS}; duplicates dropped, order kept. Throws
 * INVALID_ARGUMENT with the rule.
 */
export function parseGrants(patterns: readonly string[]): string[] {
  const cleaned = [...new Set(patterns.map((p) => p.trim()))];
  if (cleaned.length === 0 || cleaned.some((p) => p === '')) {
    throw new AppError('INVALID_ARGUMENT', `give at least one slot pattern; ${GRANT_PATTERN_RULE}`);
  }
  const bad = cleaned.find((p) => !isGrantPattern(p));
  if (bad !== undefined)
    throw new AppError('INVALID_ARGUMENT', `invalid slot pattern: ${GRANT_PATTERN_RULE}`);
  if (cleaned.length > MAX_GRANT_PATTERNS) {
    throw new AppError('INVALID_ARGUMENT', `at most ${MAX_GRANT_PATTERNS} slot patterns per token`);
  }
  return cleaned;
}

/**
 * Whether every name `pattern` matches is matched by `grants` (undefined =
 * every name). An exact name is covered when it is allowed; a prefix `p*` only
 * by a caller prefix `q*` with `p` starting with `q` (a finite list of exact
 * names never covers the open-ended set a prefix matches: conservative, so a
 * minted token is never broader than its caller).
 */
export function patternCovered(grants: readonly string[] | undefined, pattern: string): boolean {
  if (grants === undefined) return true;
  if (!pattern.endsWith('*')) return grants.some((g) => patternMatches(g, pattern));
  const prefix = pattern.slice(0, -1);
  return grants.some((g) => g.endsWith('*') && prefix.startsWith(g.slice(0, -1)));
}

/** Whether a requested grant list (undefined = every slot) is within the caller's grants. */
export function grantsCovered(
  caller: readonly string[] | undefined,
  requested: readonly string[] | undefined,
): boolean {
  if (caller === undefined) return true;
  if (requested === undefined) return false;
  return requested.every((p) => patternCovered(caller, p));
}
