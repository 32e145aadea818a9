/** Human-readable text for NAB results: one table of the three profiles, then the board around the result. */
import type { Board } from './board.ts';
import { rankOn } from './board.ts';
import type { NabResult } from './score.ts';

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** Format a detector's NAB result as a table a person can read. */
export function formatNabResult(r: NabResult, board?: Board): string {
  const lines: string[] = [];
  lines.push(`NAB v1 score of '${r.detector}' over ${r.files} files, ${r.windows} labelled windows`);
  lines.push('');
  const head = ['profile', 'normalised', 'raw', 'threshold', 'windows hit', 'FP rows'];
  const w = [20, 10, 9, 10, 11, 8];
  lines.push(head.map((h, i) => pad(h, w[i], i > 0)).join('  '));
  for (const p of Object.values(r.profiles)) {
    const cells = [
      p.profile,
      p.normalized.toFixed(2),
      p.raw.toFixed(2),
      p.threshold === null ? 'none' : p.threshold.toFixed(4),
      `${p.counts.windowsHit}/${r.windows}`,
      String(p.counts.fp),
    ];
    lines.push(cells.map((c, i) => pad(c, w[i], i > 0)).join('  '));
  }
  if (board) {
    const std = r.profiles.standard;
    if (std) {
      lines.push('');
      lines.push('Published board, standard profile (normalised):');
      for (const row of rankOn(board, 'standard', { [`${r.detector} (this run)`]: std.normalized })) {
        lines.push(`  ${row.ours ? '>' : ' '} ${pad(row.name, 28)} ${row.score.toFixed(1).padStart(6)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
