import { ConfigError } from '../config';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `90d`, `12h`, `30m`, `45s`, `2w` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  const unit = m?.[2] === undefined ? undefined : UNIT_MS[m[2]];
  if (!m || unit === undefined || Number(m[1]) === 0) {
    throw new ConfigError(
      `a duration is a positive number and a unit s, m, h, d or w (e.g. 90d), got "${text}"`,
    );
  }
  return Number(m[1]) * unit;
}
