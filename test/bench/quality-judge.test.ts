/**
 * The quality bench's judging (bench/quality/judge.ts) and the Tennessee Eastman protocol figures
 * (bench/quality/summary.ts) on constructed runs whose answers are counted by hand.
 */
import { describe, expect, it } from 'vitest';
import type { Series } from '@vigil/runtime';
import { judgeRun, tepProtocol, type LabelledRun } from '../../bench/quality/index.ts';

function run(id: string, rows: number, events: LabelledRun['events'], judgeFrom = 0): LabelledRun {
  const s: Series = { timestamps: Float64Array.from({ length: rows }, (_, i) => i * 1000), channels: ['a'], data: new Float32Array(rows) };
  return { id, trainKey: 'k', train: s, test: s, events, judgeFrom };
}

const flags = (rows: number, on: number[]) => Uint8Array.from({ length: rows }, (_, i) => (on.includes(i) ? 1 : 0));

describe('quality bench judging', () => {
  it('the labels as they are, from the judged row on', () => {
    const r = run('x', 20, [{ startRow: 10, endRow: 12 }], 2);
    const m = judgeRun(r, flags(20, [0, 5, 11, 12, 13]), { from: 0, toleranceRows: 0 });
    // Row 0 is before judgeFrom; 13 is a false alarm right after the fault.
    expect([m.rows, m.tp, m.fp, m.fn]).toEqual([18, 2, 2, 1]);
    expect(m.events[0].delayRows).toBe(1);
    expect(m.falseAlerts).toBe(1);
  });

  it('one tolerance for every method: an alert opening up to toleranceRows after a fault detects it and is no false alert; point-wise those rows are normal', () => {
    const r = run('x', 40, [{ startRow: 10, endRow: 12 }]);
    const j = { from: 4, toleranceRows: 4 };
    const late = judgeRun(r, flags(40, [15, 16]), j);
    expect([late.rows, late.tp, late.fp, late.fn, late.eventsDetected, late.falseAlerts]).toEqual([36, 0, 2, 3, 1, 0]);
    expect(late.events[0].delayRows).toBe(5);
    // Opening one row past the tolerance: a false alert, the fault missed.
    const past = judgeRun(r, flags(40, [17]), j);
    expect([past.eventsDetected, past.falseAlerts]).toEqual([0, 1]);
  });

  it('an alert already open when a fault begins notifies nobody of it: a false alert where it opened, and the fault missed (a review: counted as detected at delay 0)', () => {
    const r = run('x', 40, [{ startRow: 10, endRow: 12 }]);
    const m = judgeRun(r, flags(40, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]), { from: 0, toleranceRows: 4 });
    expect([m.tp, m.fp, m.eventsDetected, m.falseAlerts]).toEqual([3, 7, 0, 1]);
    expect(m.events[0]).toMatchObject({ detected: false, delayRows: null });
    // Closed before the fault and opened again in it: detected, and one false alert before.
    const again = judgeRun(r, flags(40, [5, 6, 7, 8, 11, 12]), { from: 0, toleranceRows: 4 });
    expect([again.eventsDetected, again.falseAlerts, again.events[0].delayRows]).toEqual([1, 1, 1]);
  });

  it('TEP protocol: mean detection rate without faults 3, 9 and 15; FAR over every normal row', () => {
    const rows = 20;
    const ev = [{ startRow: 10, endRow: 19 }];
    const perRun = [
      { id: 'd00_te', metrics: judgeRun(run('d00_te', rows, []), flags(rows, [1, 2]), { from: 0, toleranceRows: 0 }) },
      { id: 'd01_te', metrics: judgeRun(run('d01_te', rows, ev), flags(rows, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), { from: 0, toleranceRows: 0 }) },
      { id: 'd02_te', metrics: judgeRun(run('d02_te', rows, ev), flags(rows, [3, 15, 16, 17, 18, 19]), { from: 0, toleranceRows: 0 }) },
      { id: 'd03_te', metrics: judgeRun(run('d03_te', rows, ev), flags(rows, []), { from: 0, toleranceRows: 0 }) },
    ];
    const p = tepProtocol(perRun);
    expect(p.faults).toBe(2);
    expect(p.avgDetectionRate).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(p.normalRowsFAR).toBeCloseTo(3 / (20 + 10 + 10 + 10), 12);
  });
});
