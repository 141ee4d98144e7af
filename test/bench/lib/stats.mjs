// Percentiles, the printed table and the JSON result file.
import fs from 'node:fs/promises';
import path from 'node:path';

/** p50/p90/p99/p99.9/max/mean of a list of milliseconds (nearest-rank percentiles). */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const at = (p) => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : NaN);
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v) => Math.round(v * 1000) / 1000;
  return { n, p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), p999: r(at(99.9)), max: r(n ? sorted[n - 1] : NaN), mean: r(n ? sum / n : NaN) };
}

export const fmt = (v, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? ''));
export const int = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : String(v ?? ''));

/** A plain text table: rows of cells, the first row the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  const line = (r) => `| ${r.map((cell, c) => (c === 0 ? String(cell ?? '').padEnd(widths[c]) : String(cell ?? '').padStart(widths[c]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, c) => (c === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** Writes test/bench/results/<name>-<date>.json (the folder is git-ignored; docs/performance.md keeps the record). */
export async function writeResult(root, name, result) {
  const dir = path.join(root, 'test', 'bench', 'results');
  await fs.mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  const file = path.join(dir, `${name}-${stamp}.json`);
  await fs.writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
