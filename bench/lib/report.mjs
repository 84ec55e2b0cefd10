// Result rows and the final table. A row is one comparison: ours against one baseline, with every
// target that applies to it; a skipped or broken benchmark is a row with no numbers, never a fake one.

/**
 * @typedef {{ text: string, pass: boolean }} Check
 * @typedef {{
 *   id: string, title: string, status: 'PASS' | 'FAIL' | 'SKIPPED' | 'ERROR',
 *   oursMs?: number | null, oursLabel?: string, baselineMs?: number | null, baselineLabel?: string,
 *   ratio?: number | null, checks?: Check[], peakRssMB?: number | null, reason?: string,
 *   notes?: string[], extra?: Record<string, unknown>,
 * }} Row
 */

/** @returns {Row} */
export function compared({ id, title, ours, baseline, oursLabel, baselineLabel, checks, peakRssMB, notes, extra }) {
  const ratio = ours !== null && baseline ? ours / baseline : null;
  const resolved = checks.map((c) => ({ text: c.text, pass: c.test({ ratio, ours, baseline, peakRssMB }) }));
  return {
    id,
    title,
    status: resolved.every((c) => c.pass) ? 'PASS' : 'FAIL',
    oursMs: ours,
    oursLabel,
    baselineMs: baseline,
    baselineLabel,
    ratio,
    checks: resolved,
    peakRssMB,
    notes,
    extra,
  };
}

/**
 * The ratio of the fastest runs of each side: on a shared, loaded machine the medians move with
 * the neighbours' load and the minimums much less, so both are shown.
 */
export function fastestNote(ours, baseline) {
  return `fastest runs: ours ${fmtMs(ours.minMs)}, baseline ${fmtMs(baseline.minMs)}, ratio ${(ours.minMs / baseline.minMs).toFixed(2)}`;
}

/** @returns {Row} */
export function skipped(id, title, reason) {
  return { id, title, status: 'SKIPPED', reason };
}

/** @returns {Row} */
export function broken(id, title, reason) {
  return { id, title, status: 'ERROR', reason };
}

const fmtMs = (ms) => (ms === null || ms === undefined ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const fmtMB = (mb) => (mb === null || mb === undefined ? '-' : `${mb.toFixed(0)} MB`);

/** One block per row as it finishes, so a long run shows progress. */
export function formatRow(row) {
  const head = `[${row.status}] ${row.title}`;
  if (row.status === 'SKIPPED') return `SKIPPED: ${row.title}: ${row.reason}`;
  if (row.status === 'ERROR') return `ERROR: ${row.title}: ${row.reason}`;
  const lines = [
    head,
    `    ours:     ${fmtMs(row.oursMs)}${row.oursLabel ? `  (${row.oursLabel})` : ''}`,
    `    baseline: ${fmtMs(row.baselineMs)}${row.baselineLabel ? `  (${row.baselineLabel})` : ''}`,
    `    ratio:    ${row.ratio === null || row.ratio === undefined ? '-' : row.ratio.toFixed(2)}   peak RSS (ours): ${fmtMB(row.peakRssMB)}`,
    ...row.checks.map((c) => `    target:   ${c.text}  ${c.pass ? 'PASS' : 'FAIL'}`),
    ...(row.notes ?? []).map((n) => `    note:     ${n}`),
  ];
  return lines.join('\n');
}

export function formatTable(rows) {
  const header = ['benchmark', 'ours', 'baseline', 'ratio', 'target', 'result', 'peak RSS'];
  const body = rows.map((r) =>
    r.status === 'SKIPPED' || r.status === 'ERROR'
      ? [r.title, '-', '-', '-', '-', r.status, '-']
      : [
          r.title,
          fmtMs(r.oursMs),
          fmtMs(r.baselineMs),
          r.ratio === null || r.ratio === undefined ? '-' : r.ratio.toFixed(2),
          r.checks.map((c) => `${c.text}${c.pass ? '' : ' (x)'}`).join('; '),
          r.status,
          fmtMB(r.peakRssMB),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}
