// The text tables `npm run bench` prints.
import { table } from './stats.mjs';

const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const fmt = (x, d = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '–';

/** The printed report of a bench result (the JSON written next to it has every number). */
export function render(r) {
  const m = r.meta;
  const head = [
    `dodil bench ${m.mode}${m.variant ? ` (VARIANT ${m.variant}: an experiment, not the product)` : ''} — ${m.date} — commit ${m.commit}${m.dirtyTree ? ' (+uncommitted changes)' : ''}`,
    `node ${m.node}, ${m.cores}× ${m.cpu}, load avg at start ${m.loadavgAtStart.join(' ')}`,
    `load generator: ${m.loadGenerator}, ${m.connections} connections, median of ${m.rounds} alternating runs × ${m.secondsPerRun} s; ` +
      (m.pinned
        ? 'taskset: server on core 0, load generator and helpers on core 1'
        : 'NOT pinned (no taskset)'),
  ].join('\n');
  const httpTable = table([
    [
      'HTTP',
      'req/s',
      'p50 ms',
      'p99 ms',
      'vs hello',
      'server CPU',
      'CPU µs/req',
      'PG CPU µs/req',
      'load core',
      'errors',
      'runs req/s',
    ],
    ...r.http.map((h) => [
      h.label,
      fmt(h.rps),
      fmt(h.p50ms, 2),
      fmt(h.p99ms, 2),
      pct(h.ratioToHello),
      pct(h.serverCpu),
      fmt(h.cpuUsPerRequest, 1),
      h.dbCpuUsPerRequest === null || h.dbCpuUsPerRequest === undefined ? '' : fmt(h.dbCpuUsPerRequest, 1),
      h.loadCoreBusy === null ? '–' : pct(h.loadCoreBusy),
      h.errors,
      h.runs.join(' '),
    ]),
    [r.scale.label, '', '', '', pct(r.scale.ratio), '', '', '', '', '', ''],
  ]);
  const pg = m.postgres ?? {};
  const pgLine = pg.skipped
    ? `PostgreSQL rows skipped: ${pg.skipped}`
    : pg.error
      ? `PostgreSQL rows FAILED: ${pg.error}`
      : `PostgreSQL ${pg.version ?? ''} (${pg.source}): ${pg.placement}; PG CPU: ${pg.clusterCpu}; ` +
        `10k store moved in by migrate-store in ${fmt(pg.migrateSeconds, 1)} s`;
  const helperTable = r.helper.length
    ? table([
        ['helper (fresh process each)', 'median ms', '× node -e 0', 'runs'],
        ...r.helper.map((h) =>
          h.error ? [h.label, 'FAILED', h.error, ''] : [h.label, fmt(h.medianMs, 1), fmt(h.ratio, 2), h.runs],
        ),
      ])
    : 'helper: skipped';
  const mem = (x) => `rss ${fmt(x.rssMiB, 1)} MiB (peak ${fmt(x.hwmMiB, 1)}, anon ${fmt(x.anonMiB, 1)})`;
  const other = table([
    ['server', 'value'],
    ['memory after load @10k', mem(r.memory['10k'])],
    ['memory after load @1M', mem(r.memory['1M'])],
    ['memory after load, bare Hono hello (reference)', mem(r.memory.hello)],
    ...Object.entries(r.memory)
      .filter(([k]) => !['10k', '1M', 'hello', 'id', 'after'].includes(k))
      .map(([k, v]) => [`memory after load [${k}]`, mem(v)]),
    ...r.startup.map((s) => [s.label, `${fmt(s.medianMs, 1)} ms (${fmt(s.ratio, 2)}× node -e 0)`]),
  ]);
  const goals = table([
    ['goal', 'measured', 'target', 'met'],
    ...r.goals.map((g) => [
      g.text,
      g.value === null
        ? '–'
        : g.id === 'goal.rss'
          ? `${fmt(g.value, 1)} MiB`
          : g.id === 'goal.get-p99'
            ? `${fmt(g.value, 2)} ms`
            : g.target < 1
              ? pct(g.value)
              : `${fmt(g.value, 2)}×`,
      `${g.cmp} ${g.target < 1 ? pct(g.target) : g.id === 'goal.rss' ? `${fmt(g.target, 2)} MiB` : g.target}`,
      g.pass === null ? 'n/a' : g.pass ? 'yes' : 'NO',
    ]),
  ]);
  const warn = r.failedRows.length
    ? `\nWARNING: requests failed in ${r.failedRows.join(', ')}; those rows measured errors, not the API` +
      (r.failedRows.every((id) => r.http.find((h) => h.id === id)?.engine === 'postgres')
        ? ' (PostgreSQL rows: the goals still count).'
        : '.')
    : '';
  return [head, `${httpTable}\n${pgLine}`, helperTable, other, goals + warn].join('\n\n');
}
