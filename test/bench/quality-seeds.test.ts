/** bench:quality:seeds' table: vigil's figures per seed, their mean and range, baselines left out, gaps shown. */
import { describe, expect, it } from 'vitest';
import { seedFigures, seedRows, summarise, type SeedQuality } from '../../bench/quality/seed-figures.ts';

const method = (name: string, f1: number, far: number, events: number, dr?: number) => ({
  method: name, pooled: { f1, falseAlarmRate: far, eventsDetected: events }, protocol: dr === undefined ? {} : { avgDetectionRate: dr },
});
const run = (f1: number, far: number, dr: number, nab: number | null): SeedQuality => ({
  sets: [
    { name: 'tep', methods: [method('vigil', f1, far, 21, dr), method('zscore', 0.1, 0.5, 3, 0.2)] },
    { name: 'pumps', methods: [method('pca', 0.2, 0.3, 1), method('vigil', f1 - 0.1, far * 2, 14)] },
  ],
  nab: nab === null ? null : { rows: [{ method: 'zscore', standard: 5, lowFP: 4, lowFN: 8 }, { method: 'vigil', standard: nab, lowFP: nab - 4, lowFN: nab + 3 }] },
});

describe('bench:quality across seeds', () => {
  it("takes vigil's figures of each set, not the baselines', in seed order", () => {
    const figures = seedFigures([run(0.8, 0.01, 0.9, 65), run(0.9, 0.03, 0.8, 62)]);
    expect(figures.map((f) => `${f.set} ${f.figure}`)).toEqual([
      'tep F1', 'tep false alarms', 'tep events detected', 'tep detection rate (protocol)',
      'pumps F1', 'pumps false alarms', 'pumps events detected',
      'nab standard', 'nab reward low FP', 'nab reward low FN',
    ]);
    expect(figures[0].values).toEqual([0.8, 0.9]);
    expect(figures[5].values).toEqual([0.02, 0.06]);
    expect(figures[3].values).toEqual([0.9, 0.8]);
    expect(figures[8].values).toEqual([61, 58]);
  });

  it('prints each seed, the mean and the range; a seed without the set shows a gap and counts for nothing', () => {
    const rows = seedRows(seedFigures([run(0.8, 0.01, 0.9, 65), run(0.9, 0.03, 0.8, null), run(0.7, 0.02, 0.7, 60)]));
    expect(rows[0]).toEqual(['tep', 'F1', '0.800', '0.900', '0.700', '0.800', '0.700 - 0.900']);
    expect(rows[1]).toEqual(['tep', 'false alarms', '1.0%', '3.0%', '2.0%', '2.0%', '1.0% - 3.0%']);
    expect(rows[2]).toEqual(['tep', 'events detected', '21', '21', '21', '21', '21 - 21']);
    expect(rows.find((r) => r[0] === 'nab' && r[1] === 'standard')).toEqual(['nab', 'standard', '65.00', '-', '60.00', '62.50', '60.00 - 65.00']);
    expect(summarise([Number.NaN])).toEqual({ mean: Number.NaN, min: Number.NaN, max: Number.NaN });
  });
});
