/** Renders rows as a left-aligned table with a header, two spaces between columns. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Epoch milliseconds (an int64 string) as `2025-01-02T03:04:05Z`. */
export function formatTime(ms: string): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return ms;
  const date = new Date(n);
  return Number.isNaN(date.getTime()) ? ms : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Pretty JSON plus a newline, for `-o json`. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
