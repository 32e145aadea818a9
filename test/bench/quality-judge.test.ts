/**
 * The quality bench's judging (bench/quality/judge.ts) and the Tennessee Eastman protocol figures
 * (bench/quality/summary.ts) on constructed runs whose answers are counted by hand.
 */
import { describe, expect, it } from 'vitest';
import type { Series } from '@vigil/runtime';
import { judgeRun, ROW_WISE, tepProtocol, type LabelledRun } from '../../bench/quality/index.ts';

function run(id: string, rows: number, events: LabelledRun['events'], judgeFrom = 0): LabelledRun {
  const s: Series = { timestamps: Float64Array.from({ length: rows }, (_, i) => i * 1000), channels: ['a'], data: new Float32Array(rows) };
  return { id, trainKey: 'k', train: s, test: s, events, judgeFrom };
}

const flags = (rows: number, on: number[]) => Uint8Array.from({ length: rows }, (_, i) => (on.includes(i) ? 1 : 0));

describe('quality bench judging', () => {
  it('row-wise: the labels as they are, from the judged row on', () => {
    const r = run('x', 20, [{ startRow: 10, endRow: 12 }], 2);
    const m = judgeRun(r, flags(20, [0, 5, 11, 12, 13]), ROW_WISE, 0);
    // Row 0 is before judgeFrom; 13 is a false alarm right after the fault.
    expect([m.rows, m.tp, m.fp, m.fn]).toEqual([18, 2, 2, 1]);
    expect(m.events[0].delayRows).toBe(1);
  });

  it('windowed: anomalous until span - 1 rows after the end, the rest of the window ignored, late alerts still detect', () => {
    const r = run('x', 40, [{ startRow: 10, endRow: 12 }]);
    // span 2, window 5: rows 10..13 anomalous, 14..16 ignored, 17+ normal.
    const m = judgeRun(r, flags(40, [13, 14, 15, 16, 17]), { span: 2, window: 5 }, 4);
    expect([m.rows, m.tp, m.fp, m.fn, m.tn]).toEqual([33, 1, 1, 3, 28]);
    expect(m.eventsDetected).toBe(1);
    expect(m.events[0].delayRows).toBe(3);
    // An alert only in the ignored tail still detects the fault (it is within window - 1 rows of its end).
    const late = judgeRun(r, flags(40, [15]), { span: 2, window: 5 }, 4);
    expect([late.tp, late.fp, late.eventsDetected]).toEqual([0, 0, 1]);
  });

  it('TEP protocol: mean detection rate without faults 3, 9 and 15; FAR over every normal row', () => {
    const rows = 20;
    const ev = [{ startRow: 10, endRow: 19 }];
    const perRun = [
      { id: 'd00_te', metrics: judgeRun(run('d00_te', rows, []), flags(rows, [1, 2]), ROW_WISE, 0) },
      { id: 'd01_te', metrics: judgeRun(run('d01_te', rows, ev), flags(rows, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]), ROW_WISE, 0) },
      { id: 'd02_te', metrics: judgeRun(run('d02_te', rows, ev), flags(rows, [3, 15, 16, 17, 18, 19]), ROW_WISE, 0) },
      { id: 'd03_te', metrics: judgeRun(run('d03_te', rows, ev), flags(rows, []), ROW_WISE, 0) },
    ];
    const p = tepProtocol(perRun);
    expect(p.faults).toBe(2);
    expect(p.avgDetectionRate).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(p.normalRowsFAR).toBeCloseTo(3 / (20 + 10 + 10 + 10), 12);
  });
});
