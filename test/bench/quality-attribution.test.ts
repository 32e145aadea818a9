/** The quality bench's attribution count (bench/quality/attribution.ts): alerted fault rows naming a faulty channel first. */
import { describe, expect, it } from 'vitest';
import { attributionOf, pooledAttribution } from '../../bench/quality/attribution.ts';
import type { LabelledRun } from '../../bench/quality/labelled-run.ts';
import type { VigilRun } from '../../bench/quality/vigil.ts';

const series = { timestamps: new Float64Array(10), channels: ['a', 'b', 'c'], data: new Float32Array(30) };

describe('attribution of alerts to the faulty channel', () => {
  it('counts alerted rows inside faults with known channels, from the judged rows on', () => {
    const run: LabelledRun = {
      id: 'r', trainKey: 'r', train: series, test: series, judgeFrom: 0,
      events: [{ startRow: 1, endRow: 4, channels: ['b'] }, { startRow: 6, endRow: 8 }, { startRow: 8, endRow: 9, channels: ['c', 'a'] }],
    };
    const v = {
      alert: Uint8Array.from([1, 1, 1, 0, 1, 0, 1, 1, 1, 1]),
      top: Int16Array.from([1, 0, 1, 1, 1, -1, 0, 0, 2, 0]),
      card: { channels: ['a', 'b', 'c'] },
    } as unknown as VigilRun;
    // Fault 1: rows 1, 2, 4 alerted (3 not), named b at 2 and 4; fault 2 has no channels; fault 3: rows 8 (c) and 9 (a).
    expect(attributionOf(run, v, 0)).toEqual({ rows: 5, right: 4 });
    // Judged from row 2: row 1 is left out.
    expect(attributionOf(run, v, 2)).toEqual({ rows: 4, right: 4 });
    expect(pooledAttribution([{ rows: 5, right: 4 }, { rows: 3, right: 1 }])).toEqual({ rows: 8, right: 5 });
  });
});
