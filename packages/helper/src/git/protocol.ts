/**
 * git's credential-helper wire format (protocols.md §1.2): `key=value` lines,
 * a blank line or EOF ends the block, no quoting. Keys ending in `[]` are
 * arrays (an empty value clears the list). Unknown keys are kept but unused.
 */

/** A parsed request: plain attributes (last one wins) and array attributes in order. */
export interface GitCredentialRequest {
  attributes: Map<string, string>;
  arrays: Map<string, string[]>;
}

/** git caps a line at 65535 bytes including the newline (docs since 2.46). */
export const MAX_LINE_BYTES = 65535;
/** The most we read from git; a real request is a few hundred bytes. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/**
 * Parses the text of one credential block. Never throws: lines without `=`,
 * empty keys and over-long lines are skipped, as they carry nothing we can use.
 */
export function parseGitCredential(text: string): GitCredentialRequest {
  const attributes = new Map<string, string>();
  const arrays = new Map<string, string[]>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') break;
    if (Buffer.byteLength(line) >= MAX_LINE_BYTES) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key.includes('\0') || value.includes('\0')) continue;
    if (key.endsWith('[]')) {
      const name = key.slice(0, -2);
      if (value === '') arrays.set(name, []);
      else arrays.set(name, [...(arrays.get(name) ?? []), value]);
    } else {
      attributes.set(key, value);
    }
  }
  return { attributes, arrays };
}

/** True when `value` can travel in one protocol line (no CR, LF or NUL). */
export function isSafeValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}

/**
 * Formats answer lines. Refuses (throws) a key or value that would break the
 * line format, so a hostile slot can never inject protocol lines into git.
 */
export function formatGitCredential(pairs: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [key, value] of pairs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\[\])?$/.test(key))
      throw new Error(`invalid credential key ${JSON.stringify(key)}`);
    if (!isSafeValue(value)) throw new Error(`the value of ${key} contains CR, LF or NUL`);
    out += `${key}=${value}\n`;
  }
  return out;
}
