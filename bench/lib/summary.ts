/**
 * SUMMARY.md from bench results: per piece its status, machine, one plot per figure (SVG beside the
 * summary), tables, notes. Results that do not follow the `BenchResult` contract still appear, as a table of
 * their numbers, so nothing measured is silently dropped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePlots } from './plots.ts';
import { isBenchResult, type MachineInfo, type Table } from './result.ts';

/** How a piece's run went. */
export interface PieceStatus {
  name: string;
  script: string;
  status: 'ok' | 'failed' | 'missing' | 'timeout' | 'skipped';
  seconds?: number;
  detail?: string;
}

/** Machine line for a summary. */
export function describeMachine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB, Node ${m.node}, ${m.os}${m.accelerator ? `, ${m.accelerator}` : ''}`;
}

/** Numeric leaves of any JSON, as `path -> value` (first `limit`). */
export function numericLeaves(x: unknown, limit = 40, prefix = ''): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const walk = (v: unknown, p: string): void => {
    if (out.length >= limit) return;
    if (typeof v === 'number' && Number.isFinite(v)) out.push([p || '(value)', v]);
    else if (Array.isArray(v)) v.forEach((e, i) => walk(e, `${p}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, e] of Object.entries(v)) walk(e, p ? `${p}.${k}` : k);
  };
  walk(x, prefix);
  return out;
}

/** Arrays of flat records anywhere in a JSON value, as tables (how non-contract results are shown). */
export function recordTables(x: unknown, name: string, maxRows = 30): Table[] {
  const out: Table[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v) && v.length && v.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
      const cols = [...new Set(v.flatMap((e) => Object.keys(e as object)))].filter((k) => v.some((e) => ['number', 'string', 'boolean'].includes(typeof (e as Record<string, unknown>)[k])));
      out.push({
        title: `${name}: ${path || 'records'}${v.length > maxRows ? ` (first ${maxRows} of ${v.length})` : ''}`,
        columns: cols,
        rows: v.slice(0, maxRows).map((e) => cols.map((k) => {
          const c = (e as Record<string, unknown>)[k];
          return typeof c === 'number' ? c : c === undefined ? '' : String(c);
        })),
      });
    } else if (v && typeof v === 'object') for (const [k, e] of Object.entries(v)) walk(e, path ? `${path}.${k}` : k);
  };
  walk(x, '');
  return out;
}

/** The markdown table lines a result carries as `table` (every line a `|` row), or undefined. */
function ownTable(json: unknown): string[] | undefined {
  const t = (json as { table?: unknown } | null)?.table;
  return Array.isArray(t) && t.length > 1 && t.every((l) => typeof l === 'string' && l.startsWith('|')) ? t : undefined;
}

function markdownTable(t: Table): string {
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v.replace(/\|/g, '\\|'));
  return [`**${t.title}**`, '', `| ${t.columns.join(' | ')} |`, `| ${t.columns.map(() => '---').join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), ''].join('\n');
}

/**
 * Write SUMMARY.md and `plots/*.svg` into `dir`; `plots/` then holds the figures of `results` and nothing else
 * (a renamed or dropped figure leaves no stale file behind). Returns the markdown.
 */
export function writeSummary(dir: string, results: Array<{ file: string; json: unknown }>, statuses: PieceStatus[], here: MachineInfo): string {
  const drawn = results.map((r) => r.json).filter(isBenchResult);
  const plotFiles = writePlots(dir, drawn);
  const md: string[] = ['# vigil benchmarks', ''];
  md.push(`Generated ${new Date().toISOString()} by \`npm run bench\` on: ${describeMachine(here)}.`);
  md.push('Absolute numbers hold for the machine named with each result; ratios are computed within one run of one script.');
  md.push('');
  if (!statuses.length) md.push('Assembled from the latest result file of each piece (`npm run bench -- --summary-only`); each section says when and on what it was measured.', '');
  if (statuses.length) {
    md.push('| piece | script | status | seconds | detail |', '| --- | --- | --- | --- | --- |');
    for (const s of statuses) md.push(`| ${s.name} | \`${s.script}\` | ${s.status} | ${s.seconds?.toFixed(1) ?? ''} | ${(s.detail ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`);
    md.push('');
  }
  for (const { file, json } of results) {
    if (!isBenchResult(json)) {
      const own = ownTable(json);
      if (own) {
        // A result that writes its own markdown table (adapt-drift.json) is shown by it; a dump of its nested
        // per-run records (pages of them) would bury it.
        md.push(`## ${file}`, '', `_Not in the BenchResult format (bench/lib/result.ts), so no plots; its own table (per-run details in bench/results/${file}):_`, '', ...own, '');
        continue;
      }
      md.push(`## ${file}`, '', '_Not in the BenchResult format (bench/lib/result.ts), so no plots; its numbers:_', '');
      const tables = recordTables(json, file);
      const scalars = Object.entries((json ?? {}) as Record<string, unknown>).filter(([, v]) => ['number', 'string'].includes(typeof v) && String(v).length < 120);
      if (scalars.length) md.push(markdownTable({ title: 'fields', columns: ['field', 'value'], rows: scalars.map(([k, v]) => [k, v as string | number]) }));
      for (const t of tables) md.push(markdownTable(t));
      if (!tables.length && !scalars.length) md.push(markdownTable({ title: file, columns: ['field', 'value'], rows: numericLeaves(json) }));
      continue;
    }
    md.push(`## ${json.title}`, '');
    md.push(`Machine: ${describeMachine(json.machine)}. Run ${json.startedAt}, ${json.seconds.toFixed(1)} s.`, '');
    const files = plotFiles[drawn.indexOf(json)];
    json.figures.forEach((f, i) => {
      md.push(`![${f.title}](plots/${files[i]})`, '');
      if (f.caption) md.push(`_${f.caption}_`, '');
    });
    for (const t of json.tables ?? []) md.push(markdownTable(t));
    for (const n of json.notes ?? []) md.push(`- ${n}`);
    md.push('');
  }
  const text = `${md.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
  writeFileSync(join(dir, 'SUMMARY.md'), text);
  return text;
}
