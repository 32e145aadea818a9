import { describe, expect, it } from 'vitest';
import { parseCsv, detectSeparator } from '../../runtime/data/csv.ts';
import { parseTimestamp } from '../../runtime/data/timestamp.ts';

describe('parseTimestamp', () => {
  it('reads ISO 8601, space-separated, epoch seconds and epoch ms to the same instant', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5);
    expect(parseTimestamp('2024-01-02T03:04:05Z')).toBe(ms);
    expect(parseTimestamp('2024-01-02 03:04:05')).toBe(ms);
    expect(parseTimestamp(String(ms / 1000))).toBe(ms);
    expect(parseTimestamp(String(ms))).toBe(ms);
    expect(parseTimestamp('yesterday')).toBeNaN();
  });
});

describe('parseCsv', () => {
  it('reads NAB-style timestamp,value', () => {
    const s = parseCsv('timestamp,value\n2024-01-01 00:00:00,1.5\n2024-01-01 00:05:00,2\n');
    expect(s.channels).toEqual(['value']);
    expect(Array.from(s.data)).toEqual([1.5, 2]);
    expect(s.timestamps[1] - s.timestamps[0]).toBe(300_000);
  });

  it('auto-detects ; and tab separators in wide CSV', () => {
    expect(detectSeparator('ts;a;b')).toBe(';');
    expect(detectSeparator('ts\ta\tb')).toBe('\t');
    const s = parseCsv('ts\tcurrent\tflow\n1700000000\t1\t2\n1700000001\t3\t4\n');
    expect(s.channels).toEqual(['current', 'flow']);
    expect(Array.from(s.data)).toEqual([1, 2, 3, 4]);
  });

  it('names file, line and column for a non-numeric value', () => {
    expect(() => parseCsv('ts,a,b\n1,1,2\n2,x,3\n', { file: 'f.csv' })).toThrow(/f\.csv:3: column 'a': 'x' is not a number/);
  });

  it('forward-fills missing values when asked', () => {
    const s = parseCsv('ts,a\n1,5\n2,\n3,NaN\n4,7\n', { fill: 'ffill' });
    expect(Array.from(s.data)).toEqual([5, 5, 5, 7]);
  });

  it('keeps label columns aside and selects channels by name', () => {
    const s = parseCsv('ts,a,label,b\n1,1,0,2\n2,3,1,4\n', { extraColumns: ['label'], channels: ['b', 'a'] });
    expect(s.channels).toEqual(['b', 'a']);
    expect(Array.from(s.data)).toEqual([2, 1, 4, 3]);
    expect(s.extra?.label).toEqual(['0', '1']);
  });
});
