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
    // The rows it filled are remembered (the stuck-sensor check never judges them), and follow a sort.
    expect(Array.from(s.filledRows!)).toEqual([0, 1, 1, 0]);
    expect(parseCsv('ts,a\n1,5\n2,6\n', { fill: 'ffill' }).filledRows).toBeUndefined();
    const sorted = parseCsv('ts,a\n3,5\n1,\n2,7\n', { fill: 'zero', order: 'sort' });
    expect(Array.from(sorted.filledRows!)).toEqual([1, 0, 0]);
  });

  it('keeps label columns aside and selects channels by name', () => {
    const s = parseCsv('ts,a,label,b\n1,1,0,2\n2,3,1,4\n', { extraColumns: ['label'], channels: ['b', 'a'] });
    expect(s.channels).toEqual(['b', 'a']);
    expect(Array.from(s.data)).toEqual([2, 1, 4, 3]);
    expect(s.extra?.label).toEqual(['0', '1']);
  });
});

describe('parseCsv: cells beyond float32 (issue 17.1)', () => {
  it('refuses 4e38, 1e39 and 1e308 under --fill error, with file:line and column', () => {
    for (const x of ['4e38', '1e39', '1e308', '-1e308']) {
      expect(() => parseCsv(`ts,a,b\n1,1,2\n2,${x},3\n`, { file: 'f.csv' })).toThrow(new RegExp(`f\\.csv:3: column 'a': '${x}' is beyond the float32 range`));
    }
    expect(Array.from(parseCsv('ts,a\n1,3.4e38\n2,-3.4e38\n').data)).toEqual([Math.fround(3.4e38), Math.fround(-3.4e38)]);
  });
  it('fills them like any bad cell under ffill, says so, and never stores Infinity', () => {
    const notes: string[] = [];
    const s = parseCsv('ts,a\n1,5\n2,1e308\n3,7\n', { fill: 'ffill', file: 'f.csv', onNote: (n) => notes.push(n) });
    expect(Array.from(s.data)).toEqual([5, 5, 7]);
    expect(notes).toEqual([expect.stringMatching(/f\.csv: 1 cell\(s\) filled by --fill ffill \(first: f\.csv:3 column 'a' '1e308'\)/)]);
  });
});

describe('parseCsv: label columns (issue 17.3)', () => {
  const text = 'ts,a,Anomaly,b,changepoint,is_anomaly,fault,label\n1,1,0,2,0,0,none,0\n2,3,1,4,1,1,bearing,1\n';
  it('sets common label names aside by default, with a note, whatever their case', () => {
    const notes: string[] = [];
    const s = parseCsv(text, { file: 'f.csv', onNote: (n) => notes.push(n) });
    expect(s.channels).toEqual(['a', 'b']);
    expect(Array.from(s.data)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(s.extra ?? {})).toEqual(['Anomaly', 'changepoint', 'is_anomaly', 'fault', 'label']);
    expect(s.extra?.fault).toEqual(['none', 'bearing']);
    expect(notes).toEqual(['f.csv: label column(s) Anomaly, changepoint, is_anomaly, fault, label set aside, not channels (name them in --channels to use them as channels)']);
    // Also when the channels are named (vigil score names the card's): said, as the README promises (a new user saw none).
    notes.length = 0;
    parseCsv(text, { file: 'f.csv', channels: ['a'], onNote: (n) => notes.push(n) });
    expect(notes).toEqual(['f.csv: label column(s) Anomaly, changepoint, is_anomaly, fault, label set aside, not channels']);
  });
  it('makes a label column a channel when named in channels, and drops --ignore columns', () => {
    const s = parseCsv(text, { channels: ['b', 'changepoint'] });
    expect(s.channels).toEqual(['b', 'changepoint']);
    expect(Array.from(s.data)).toEqual([2, 0, 4, 1]);
    expect(Object.keys(s.extra ?? {})).not.toContain('changepoint');
    const t = parseCsv(text, { ignore: ['b', 'fault'] });
    expect(t.channels).toEqual(['a']);
    expect(Object.keys(t.extra ?? {})).not.toContain('fault');
    expect(() => parseCsv(text, { ignore: ['c'], file: 'f.csv' })).toThrow(/f\.csv: --ignore names no column c; found a, Anomaly/);
    // A model's channels asked of a file whose names differ only in case: said (a probe).
    expect(() => parseCsv(text, { channels: ['A', 'b'], file: 'f.csv' })).toThrow(/no column\(s\) A; expected A, b, found a, Anomaly, b, .*\(the names differ only in case, and channel names are matched exactly/);
    expect(() => parseCsv(text, { channels: ['z'], file: 'f.csv' })).not.toThrow(/differ only in case/);
  });
});

describe('parseCsv: row order (issue 17.4)', () => {
  it('refuses reverse-sorted rows naming the first offending line, with counts', () => {
    expect(() => parseCsv('ts,a\n3,1\n2,2\n1,3\n', { file: 'f.csv', order: 'strict' }))
      .toThrow("f.csv:3: timestamp '2' is earlier than line 2's '3'; rows must be in increasing time order (2 row(s) earlier than the row before, 0 repeating an earlier timestamp; pass --sort to sort them)");
  });
  it('refuses a repeated timestamp naming both lines', () => {
    expect(() => parseCsv('ts,a\n\n1,1\n2,2\n2,5\n3,3\n', { file: 'f.csv', order: 'strict' }))
      .toThrow("f.csv:5: timestamp '2' repeats the timestamp of line 4; rows must be in increasing time order (0 row(s) earlier than the row before, 1 repeating an earlier timestamp; pass --sort to sort them)");
  });
  it('keeps rows as they are by default (the streaming window stage drops late ones)', () => {
    expect(Array.from(parseCsv('ts,a\n3,1\n2,2\n2,3\n').data)).toEqual([1, 2, 3]);
  });
  it('sorts stably on request, rows, raw timestamps and labels together, and says so', () => {
    const notes: string[] = [];
    const s = parseCsv('ts,a,label\n3,30,c\n1,10,a\n2,20,b\n1,11,a2\n', { order: 'sort', file: 'f.csv', onNote: (n) => notes.push(n) });
    expect(Array.from(s.timestamps)).toEqual([1000, 1000, 2000, 3000]);
    expect(Array.from(s.data)).toEqual([10, 11, 20, 30]);
    expect(s.rawTimestamps).toEqual(['1', '1', '2', '3']);
    expect(s.extra?.label).toEqual(['a', 'a2', 'b', 'c']);
    expect(notes.filter((n) => /sorted/.test(n))).toEqual(['f.csv: rows sorted into time order (1 row(s) earlier than the row before, 1 repeating an earlier timestamp, first at line 3)']);
  });
});
