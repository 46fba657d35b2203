import type { SecretType } from '@dodil/shared';

/** Epoch ms as `YYYY-MM-DD HH:MM:SS UTC` (the console shows UTC everywhere, and says so). */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The CLI word of a slot type. */
export const typeWord = (t: SecretType): 'git' | 'registry' => (t === 'git_secret' ? 'git' : 'registry');

/**
 * A date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDTHH:MM`) from a form, read as UTC; `undefined`
 * when empty, `null` when it is not one.
 */
export function parseUtc(text: string): number | undefined | null {
  if (text === '') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(text);
  if (m === null) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  return Number.isFinite(ms) ? ms : null;
}

/** A single form field as text ('' when absent or a file). */
export function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : '';
}

/** Every value of a repeated form field (checkboxes). */
export function fields(body: Record<string, unknown>, name: string): string[] {
  const v = body[name];
  const all = Array.isArray(v) ? v : [v];
  return all.filter((x): x is string => typeof x === 'string');
}
