/**
 * Claim globs (docs/contract.md#least-privilege): `*` matches any run of characters (also none), every
 * other character itself; the glob covers the WHOLE value. Strings match as
 * they are, numbers as their decimal text; a missing, boolean, array or object
 * claim never matches (so `repo:*` can't be satisfied by a list of repos).
 */
export function globMatches(glob: string, value: string): boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return glob === value;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  // Greedy left-to-right for the middle parts within the window between the fixed ends:
  // linear in the value's length, no regular expression (no backtracking blow-up).
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? '';
    const found = value.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** The text a claim is matched as, or undefined when it can never match. */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The first claim glob that does not match (its name), or undefined when all match. */
export function firstMismatch(
  globs: Readonly<Record<string, string>>,
  payload: Readonly<Record<string, unknown>>,
): string | undefined {
  for (const [name, glob] of Object.entries(globs)) {
    const text = Object.hasOwn(payload, name) ? claimText(payload[name]) : undefined;
    if (text === undefined || !globMatches(glob, text)) return name;
  }
  return undefined;
}
