/** Plain-text table for the bench's human-readable output (the BENCH line is for machines). */

/** One row: a figure, our value, the baseline's value (or blank), and the goal it is held to. */
export interface TableRow {
  readonly figure: string;
  readonly ours: string | number;
  readonly baseline?: string | number;
  readonly goal?: string;
}

/** Renders rows as an aligned table with a header. */
export function renderTable(rows: readonly TableRow[]): string {
  const header: TableRow = { figure: 'figure', ours: 'ours', baseline: 'seed protocol', goal: 'goal' };
  const cells = [header, ...rows].map((r) => [r.figure, String(r.ours), r.baseline === undefined ? '' : String(r.baseline), r.goal ?? '']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}
