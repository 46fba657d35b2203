/**
 * A strict parser of the Prometheus text exposition format (0.0.4), written
 * independently of prom-client so the tests check what a real scraper reads.
 * It throws on anything a scraper would reject or that hides a bug: bad
 * names, bad escapes, a sample before its TYPE, a family declared twice,
 * duplicate series, non-cumulative histogram buckets or a `+Inf` bucket that
 * differs from `_count`.
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its TYPE, HELP and samples. */
export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

// As Prometheus reads values (Go's strconv.ParseFloat): NaN and Inf in any letter case.
function parseValue(text: string, line: number): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(s: string, start: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const fail = (why: string): never => {
    throw new Error(`line ${line}: ${why} in labels at column ${i}`);
  };
  while (s[i] !== '}') {
    const nameStart = i;
    while (i < s.length && /[a-zA-Z0-9_]/.test(s[i] ?? '')) i++;
    const name = s.slice(nameStart, i);
    if (!LABEL_NAME.test(name)) fail(`bad label name "${name}"`);
    if (s[i] !== '=' || s[i + 1] !== '"') fail('expected ="');
    i += 2;
    let value = '';
    for (;;) {
      const ch = s[i];
      if (ch === undefined) fail('unterminated label value');
      if (ch === '"') break;
      if (ch === '\\') {
        const next = s[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(`bad escape \\${String(next)}`);
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    i++;
    if (Object.hasOwn(labels, name)) fail(`label ${name} twice`);
    labels[name] = value;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') fail('expected , or }');
  }
  return [labels, i + 1];
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

function checkHistograms(families: Map<string, PromFamily>): void {
  for (const f of families.values()) {
    if (f.type !== 'histogram') continue;
    const series = new Map<string, PromSample[]>();
    for (const s of f.samples) {
      if (!s.name.endsWith('_bucket')) continue;
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      let prev = -1;
      let prevCount = 0;
      for (const b of buckets) {
        const le = b.labels.le === undefined ? NaN : parseValue(b.labels.le, 0);
        if (!(le > prev)) throw new Error(`${f.name}${key}: buckets not in increasing le order`);
        if (b.value < prevCount) throw new Error(`${f.name}${key}: bucket counts not cumulative`);
        prev = le;
        prevCount = b.value;
      }
      if (prev !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
      const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
      const count = f.samples.find((s) => s.name === `${f.name}_count` && sameLabels(s.labels, labels));
      if (count?.value !== prevCount)
        throw new Error(`${f.name}${key}: +Inf bucket ${prevCount} != _count ${String(count?.value)}`);
    }
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Parses a whole exposition; throws (with the line number) on anything malformed. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
      let f = families.get(name);
      if (kind === 'TYPE') {
        if (f && f.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (f?.type !== undefined && f.type !== 'untyped')
          throw new Error(`line ${line}: second TYPE for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        f ??= { name, type: 'untyped', help: undefined, samples: [] };
        f.type = rest as PromFamily['type'];
        families.set(name, f);
      } else {
        f ??= { name, type: 'untyped', help: undefined, samples: [] };
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest;
        families.set(name, f);
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) throw new Error(`line ${line}: bad sample "${raw}"`);
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === '{') [labels, i] = parseLabels(raw, i, line);
    if (raw[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
    const parts = raw.slice(i + 1).split(' ');
    if (parts.length > 2 || parts[0] === undefined) throw new Error(`line ${line}: bad value part`);
    const value = parseValue(parts[0], line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`line ${line}: sample ${name} has no TYPE declared before it`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  checkHistograms(families);
  return families;
}

/** The value of the one sample named `name` whose labels include `labels` (summed over the rest). */
export function sampleSum(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}
