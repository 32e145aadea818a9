/** bench/lib/plots.ts and writeSummary: one plot file per figure, named once, and no stale plots left behind. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assignPlotFiles, plotFileName, writePlots } from '../../bench/lib/plots.ts';
import { readResults, type BenchResult, type Figure } from '../../bench/lib/result.ts';
import { writeSummary } from '../../bench/lib/summary.ts';

const machine = { cpu: 'test cpu', cores: 2, memGiB: 4, node: 'v20', os: 'linux' };
const figure = (id: string): Figure => ({ id, title: `figure ${id}`, kind: 'line', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[1, 2], [2, 3]] }] });
const result = (name: string, ids: string[]): BenchResult => ({ name, title: `result ${name}`, machine, startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, figures: ids.map(figure) });

let dir = '';
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
const fresh = (): string => (dir = mkdtempSync(join(tmpdir(), 'vigil-plots-')));

describe('plotFileName', () => {
  it('names a figure RESULT-ID.svg with the result name once, whether or not the id repeats it', () => {
    expect(plotFileName('sustained', 'sustained-p99')).toBe('sustained-p99.svg');
    expect(plotFileName('sustained', 'p99')).toBe('sustained-p99.svg');
    expect(plotFileName('compare', 'compare')).toBe('compare.svg');
    // A longer name that merely starts like the id is not a repeat.
    expect(plotFileName('burst-kill', 'burst-kill-windows')).toBe('burst-kill-windows.svg');
    expect(plotFileName('burst', 'burst-kill-windows')).toBe('burst-kill-windows.svg');
    expect(plotFileName('simulators', 'fleet-rate')).toBe('simulators-fleet-rate.svg');
    expect(plotFileName('gpu', 'f1 / loss')).toBe('gpu-f1___loss.svg');
  });
});

describe('assignPlotFiles', () => {
  it('keeps the whole RESULT-ID name only for figures of two results that would share a file, and refuses a figure drawn twice', () => {
    // A full burst run draws the kill figure too, as burst-kill.json does.
    const burst = result('burst', ['burst-drain', 'burst-kill-windows']);
    const kill = result('burst-kill', ['burst-kill-windows']);
    expect(assignPlotFiles([burst, kill, result('e2e', ['e2e-latency'])])).toEqual([
      ['burst-drain.svg', 'burst-burst-kill-windows.svg'], ['burst-kill-burst-kill-windows.svg'], ['e2e-latency.svg'],
    ]);
    expect(() => assignPlotFiles([result('e2e', ['e2e-latency', 'latency'])])).toThrow(/plots\/e2e-latency.svg would hold both e2e figure e2e-latency and e2e figure latency/);
  });
});

describe('writePlots', () => {
  it('writes one file per figure and removes every other plot', () => {
    const d = fresh();
    mkdirSync(join(d, 'plots'));
    for (const f of ['e2e-e2e-latency.svg', 'gone-old.svg']) writeFileSync(join(d, 'plots', f), '<svg/>');
    writeFileSync(join(d, 'plots', 'notes.txt'), 'not a plot');
    expect(writePlots(d, [result('e2e', ['e2e-latency', 'ingest'])])).toEqual([['e2e-latency.svg', 'e2e-ingest.svg']]);
    expect(readdirSync(join(d, 'plots')).sort()).toEqual(['e2e-ingest.svg', 'e2e-latency.svg', 'notes.txt']);
    expect(readFileSync(join(d, 'plots', 'e2e-latency.svg'), 'utf8')).toMatch(/^<svg /);
  });
});

describe('writeSummary', () => {
  it('links every figure by the one name rule, leaves each plot once, and drops plots of results that are gone', () => {
    const d = fresh();
    writeFileSync(join(d, 'compare.json'), JSON.stringify(result('compare', ['compare-f1', 'compare-best-f1'])));
    writeFileSync(join(d, 'memory.json'), JSON.stringify(result('memory', ['memory-rss'])));
    writeFileSync(join(d, 'tmp-partial.json'), JSON.stringify(result('tmp-partial', ['x'])));
    mkdirSync(join(d, 'plots'));
    // What the old naming left: the same figure under a doubled name, and a plot of a removed variant run.
    for (const f of ['compare-compare-f1.svg', 'memory-memory-rss.svg', 'sustained-reorder-off-sustained-p99.svg']) writeFileSync(join(d, 'plots', f), '<svg/>');
    const md = writeSummary(d, readResults(d), [], machine);
    const plots = readdirSync(join(d, 'plots')).sort();
    expect(plots).toEqual(['compare-best-f1.svg', 'compare-f1.svg', 'memory-rss.svg']);
    for (const p of plots) expect(md).toContain(`](plots/${p})`);
    expect(md.match(/\]\(plots\//g)).toHaveLength(3);
    expect(md).not.toContain('tmp-partial');
    expect(readFileSync(join(d, 'plots', 'memory-rss.svg'), 'utf8')).toMatch(/^<svg /);
  });

  it('shows a result that carries its own markdown table by that table, not by a dump of its nested records', () => {
    const d = fresh();
    const table = ['| stream | F1 |', '|---|---|', '| 41 | 0.788 |'];
    const runs = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`run ${i}`, { events: [{ start: i, detected: true }] }]));
    writeFileSync(join(d, 'adapt-drift.json'), JSON.stringify({ machine, table, runs }));
    const md = writeSummary(d, readResults(d), [], machine);
    expect(md).toContain(table.join('\n'));
    expect(md).toContain('per-run details in bench/results/adapt-drift.json');
    expect(md).not.toContain('run 3');
  });
});
