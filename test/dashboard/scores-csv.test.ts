/** The dashboard's "download scores" CSV is the one `vigil score --out` writes: its fields quoted where they must be (a review). */
import { describe, expect, it } from 'vitest';
import { scoresCsv, type FileScores } from '../../dashboard/page/score-file.ts';
import { csvRecords } from '../../runtime/data/csv-records.ts';

describe('scoresCsv', () => {
  it('quotes a channel name holding a comma, so the file reads back with its columns', () => {
    const r = {
      card: { channels: ['flow [m3/h, std]', 'temp'] },
      series: { timestamps: Float64Array.from([0, 1000]), channels: ['flow [m3/h, std]', 'temp'], data: new Float32Array(4) },
      scores: Float32Array.from([0.5, 2]),
      thresholds: Float32Array.from([1, 1]),
      alerts: Uint8Array.from([0, 1]),
      perChannel: Float32Array.from([0.1, 0.2, 0.3, 0.4]),
    } as unknown as FileScores;
    const text = scoresCsv(r);
    expect(text.split('\n')[0]).toBe('timestamp,score,threshold,alert,"err_flow [m3/h, std]",err_temp');
    expect(csvRecords(text).records.every((row) => row.length === 6)).toBe(true);
  });
});
