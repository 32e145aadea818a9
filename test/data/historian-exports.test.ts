/**
 * What a historian export gets wrong, caught where every command reads CSV (runtime/data/csv.ts): each of these
 * read before as something else, silently (a probe's messy exports: wrong scores, 1970 timestamps, a spliced hour).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, readCsv } from '../../runtime/data/csv.ts';
import { parseTimestamp } from '../../runtime/data/timestamp.ts';
import { DEFAULT_TIMESTAMP } from '../../runtime/codecs/codec.ts';
import { readingTime } from '../../runtime/codecs/values.ts';

const rows = (n: number, t: (r: number) => string) => Array.from({ length: n }, (_, r) => `${t(r)},${20 + (r % 3)},${4 + (r % 2)}`).join('\n');

describe('historian exports', () => {
  it('refuses two columns of one name (both channels would read the later one)', () => {
    expect(() => parseCsv(`ts,temp,temp,p\n${rows(3, (r) => String(1_700_000_000 + r))}`.replace(/\n/g, ',1\n') + ',1', { file: 'f.csv' })).toThrow(
      /f\.csv:1: columns 2 and 3 are both named 'temp'/,
    );
  });

  it('columns no command reads may share a name', () => {
    expect(parseCsv('ts,a,status,status\n1,2,x,y\n', { ignore: ['status'] }).channels).toEqual(['a']);
    expect(parseCsv('ts,a,label,label\n1,2,0,0\n').channels).toEqual(['a']);
  });

  it('refuses a day the calendar does not have instead of rolling it over', () => {
    expect(parseTimestamp('2024-02-30 00:00:00')).toBeNaN();
    expect(parseTimestamp('2024-02-30T00:00:00Z')).toBeNaN();
    expect(parseTimestamp('2023-02-29')).toBeNaN();
    expect(parseTimestamp('2024-01-01 25:00:00')).toBeNaN();
    expect(parseTimestamp('2024-02-29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(() => parseCsv('ts,a\n2024-02-28 00:00:00,1\n2024-02-30 00:00:00,2\n', { file: 'f.csv' })).toThrow(/f\.csv:3: column 'ts': '2024-02-30 00:00:00' is not a timestamp/);
  });

  it('refuses spreadsheet serial dates, which would read as seconds of 1970-01-01', () => {
    const text = `timestamp,a,b\n${rows(5, (r) => (45382 + r / 1440).toFixed(5))}`;
    expect(() => parseCsv(text, { file: 'f.csv' })).toThrow(/f\.csv:2: column 'timestamp': '45382\.00000' looks like a spreadsheet serial date \(days since 1899-12-30: 2024-03-31T00:00:00\.000Z\)/);
    // Whole epoch seconds in the same range (a test clock starting near 0) stay epoch seconds.
    expect(parseCsv(`timestamp,a,b\n${rows(3, (r) => String(45382 + r))}`).timestamps[0]).toBe(45_382_000);
  });

  it('refuses an unnamed row index in the time column (pandas without index=False)', () => {
    const text = `,a,b\n${rows(4, (r) => String(r))}`;
    expect(() => parseCsv(text, { file: 'f.csv' })).toThrow(/the first column has no name and counts 0, 1, 2, \.\.\.: a row index/);
    // A named time column counting seconds from 0 is a clock.
    expect(parseCsv(`t,a,b\n${rows(4, (r) => String(r))}`).timestamps[3]).toBe(3000);
  });

  it('refuses a time column that is not first, and a first column of channel values read as 1970 (a probe: the hints led to a model trained on 1970 seconds)', () => {
    const iso = (r: number) => new Date(Date.UTC(2024, 2, 1) + r * 10_000).toISOString();
    // Time last: said at the header, not as a channel that "is not a number" with a hint to --ignore it.
    expect(() => parseCsv(`flow,pressure,timestamp\n${Array.from({ length: 4 }, (_, r) => `${45 + r}.2,3.1,${iso(r)}`).join('\n')}\n`, { file: 'f.csv' })).toThrow(
      /f\.csv:1: column 3 'timestamp' looks like the time column, but the first column is 'flow'; expected the timestamp as the first column/,
    );
    // A pandas index before it: said as one.
    expect(() => parseCsv(`,timestamp,flow\n${Array.from({ length: 4 }, (_, r) => `${r},${iso(r)},1`).join('\n')}\n`, { file: 'f.csv' })).toThrow(/column 2 'timestamp' looks like the time column, but the first column has no name \(a row index/);
    // No time column at all: the first channel's values, read as 1970 and out of time order.
    const flows = [45.233, 48.961, 47.1, 49.5];
    expect(() => parseCsv(`flow,pressure\n${flows.map((f) => `${f},3.1`).join('\n')}\n`, { file: 'f.csv' })).toThrow(
      /f\.csv:2: the first column 'flow' is read as the timestamp, but '45\.233' is 1970-01-01T00:00:45\.233Z as epoch time, every row is before 2000 and line 4 goes back in time/,
    );
    // Time counted from 0 runs forward, whatever its column is called (a review: `t [s]`, `cycle`, `Index` were refused).
    for (const name of ['t [s]', 'seconds', 'elapsed_ms', 'Tiempo', 'cycle', 'Index']) expect(parseCsv(`${name},flow\n${[0, 1, 2, 3].map((r) => `${r},1`).join('\n')}\n`).timestamps[3]).toBe(3000);
    // A channel called runtime after a time column, and a first column named as a time counting seconds: read as ever.
    expect(parseCsv(`timestamp,runtime,flow\n${Array.from({ length: 4 }, (_, r) => `${iso(r)},${r},1`).join('\n')}\n`).channels).toEqual(['runtime', 'flow']);
    expect(parseCsv(`time_s,flow\n${Array.from({ length: 4 }, (_, r) => `${r},1`).join('\n')}\n`).timestamps[3]).toBe(3000);
  });

  it('says when the time goes back an hour once: local time across a daylight-saving change (sorting would splice the hour)', () => {
    const local = (r: number) => {
      const t = Date.UTC(2024, 9, 27, 1, 30) + r * 600_000; // 01:30, every 10 min; the clock goes back at 03:00
      return new Date(t >= Date.UTC(2024, 9, 27, 3) ? t - 3_600_000 : t).toISOString().replace('T', ' ').slice(0, 19);
    };
    const text = `ts,a,b\n${rows(24, local)}`;
    expect(() => parseCsv(text, { file: 'f.csv', order: 'strict' })).toThrow(
      /f\.csv:11: timestamp '2024-10-27 02:00:00' repeats .*pass --sort to sort them, which would splice the repeated hour together\); line 11 \('2024-10-27 02:00:00'\) goes back about an hour from '2024-10-27 02:50:00': local time across a daylight-saving change\?/,
    );
    const notes: string[] = [];
    parseCsv(text, { file: 'f.csv', order: 'sort', onNote: (n) => notes.push(n) });
    expect(notes.join('\n')).toMatch(/rows sorted into time order .*daylight-saving change\?/);
    // Rows merely out of order say nothing of it.
    notes.length = 0;
    expect(parseCsv('ts,a\n3,1\n1,2\n2,3\n', { order: 'sort', onNote: (n) => notes.push(n) }).timestamps[0]).toBe(1000);
    expect(notes.join('\n')).not.toMatch(/daylight/);
  });

  it('names a decimal comma, suggests --ignore for a column bad from its first row, and (training) refuses a channel mostly filled', () => {
    // An empty first cell under --fill ffill says where to start instead (a probe got no hint), and --ignore for a
    // column bad from the first row.
    expect(() => parseCsv('ts,a,b\n1,,2\n2,3,4\n', { file: 'f.csv', fill: 'ffill', ignorable: true })).toThrow(
      /f\.csv:2: column 'a': '' is empty, and there is no earlier value to forward-fill; expected a value in the first rows: start the file at a row where every channel has one \(vigil train --rows FROM: skips rows\), or pass --fill zero; --ignore 'a' if the column is not a sensor's/,
    );
    // A ';' export with decimal commas is read as one, said once (a probe: no way to read it).
    const notes: string[] = [];
    expect(Array.from(parseCsv('ts;a;b\n1;20,5;1\n2;20,6;-2,25\n', { file: 'f.csv', onNote: (n) => notes.push(n) }).data)).toEqual([20.5, 1, 20.6, -2.25].map(Math.fround));
    expect(notes).toEqual(["f.csv: decimal commas read as decimal points ('20,5' = 20.5), the convention of its ';'-separated export"]);
    // One mark throughout: '.' after ',' (or ',' after '.') is a bad cell; '.' thousands and a quoted comma in a ','
    // file stay refused.
    expect(() => parseCsv('ts;a\n1;20,5\n2;20.6\n', { file: 'f.csv' })).toThrow(/f\.csv:3: column 'a': '20\.6' uses '\.' as its decimal mark, but the file's numbers before it used ',' \('20,5'\)/);
    expect(() => parseCsv('ts;a\n1;20.5\n2;20,6\n', { file: 'f.csv' })).toThrow(/'20,6' has a decimal comma, but the file's numbers before it used '\.' \('20\.5'\); expected one decimal mark throughout/);
    expect(() => parseCsv('ts;a\n1;1.234,5\n', { file: 'f.csv' })).toThrow(/has a decimal comma with '\.' thousands/);
    expect(() => parseCsv('ts,a\n1,"20,5"\n', { file: 'f.csv' })).toThrow(/has a decimal comma in a ','-separated file/);
    expect(() => parseCsv('ts,a,status\n1,1,RUNNING\n', { file: 'f.csv', ignorable: true })).toThrow(/'RUNNING' is not a number; expected a finite number \(or pass --fill ffill; --ignore 'status' if the column is not a sensor's\)/);
    // A sensor's glitch later on: filling is the remedy.
    expect(() => parseCsv('ts,a,p\n1,1,4\n2,1,Bad\n', { file: 'f.csv', ignorable: true })).toThrow(/'Bad' is not a number; expected a finite number \(or pass --fill ffill\)$/);
    // --fill zero over a whole text column wrote a model of zeros before.
    const text = `ts,a,status\n${Array.from({ length: 10 }, (_, r) => `${r + 1},${r},${r < 4 ? r : 'ON'}`).join('\n')}\n`;
    expect(() => parseCsv(text, { file: 'f.csv', fill: 'zero', maxFilledShare: 0.5 })).toThrow(/column 'status': 6 of 10 cells were text, not numbers, and were filled by --fill zero; .*--ignore 'status'/);
    expect(parseCsv(text, { fill: 'zero', maxFilledShare: 0.6 }).channels).toEqual(['a', 'status']);
    // A setpoint recorded only when it changes (mostly empty cells) is forward-filled, not refused (a review).
    const sparse = `ts,a,setpoint\n${Array.from({ length: 10 }, (_, r) => `${r + 1},${r},${r % 5 === 0 ? 50 + r : ''}`).join('\n')}\n`;
    expect(Array.from(parseCsv(sparse, { fill: 'ffill', maxFilledShare: 0.5 }).data.filter((_, i) => i % 2 === 1))).toEqual([50, 50, 50, 50, 50, 55, 55, 55, 55, 55]);
  });

  it('--sort refuses when most rows repeat a timestamp (date and time in two columns kept 40 of 5,760 rows)', () => {
    const text = `day,a\n${Array.from({ length: 12 }, (_, r) => `2024-03-${String(1 + Math.floor(r / 4)).padStart(2, '0')},${r}`).join('\n')}\n`;
    expect(() => parseCsv(text, { file: 'f.csv', order: 'sort' })).toThrow(/f\.csv:3: 9 of 12 rows repeat an earlier timestamp \('2024-03-01' first\); expected one row per time: a date without its time/);
  });

  it('reads epoch microseconds and nanoseconds by magnitude (InfluxDB exports and line protocol stamp in ns by default)', () => {
    const t = Date.UTC(2014, 1, 6, 0, 5);
    // Read as milliseconds before: year 44 million, and vigil score scored the export so.
    expect(parseTimestamp(t * 1e6)).toBe(t);
    expect(parseTimestamp(String(t * 1e6))).toBe(t);
    expect(parseTimestamp(t * 1e3)).toBe(t);
    expect(parseTimestamp('1391645100123456789')).toBeCloseTo(t + 123.456789, 3);
    // Past what a Date holds (a 23-digit number): no time, rather than one no line can print.
    expect(parseTimestamp('10000000000000000000000')).toBeNaN();
    // Seconds and milliseconds as before.
    expect(parseTimestamp(t / 1000)).toBe(t);
    expect(parseTimestamp(t)).toBe(t);
    const csv = parseCsv(`time,value\n${[0, 1, 2].map((r) => `${(t + r * 300_000) * 1e6},${r}`).join('\n')}\n`);
    expect(Array.from(csv.timestamps)).toEqual([t, t + 300_000, t + 600_000]);
    // A live payload's ns timestamp is that time, not one far ahead of its arrival refused as bad_timestamp.
    expect(readingTime(t * 1e6, Date.UTC(2026, 11, 7), DEFAULT_TIMESTAMP)).toBe(t);
    // Still refused: a nanosecond stamp ahead of arrival by more than maxFutureMs.
    expect(readingTime((Date.UTC(2026, 11, 7) + 2 * 86_400_000) * 1e6, Date.UTC(2026, 11, 7), DEFAULT_TIMESTAMP)).toMatchObject({ error: 'bad_timestamp' });
  });

  it('refuses files that are not UTF-8, naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-enc-'));
    const latin1 = join(dir, 'latin1.csv');
    writeFileSync(latin1, Buffer.concat([Buffer.from('ts,a\n1,2\n2,3\n'), Buffer.from('3,4 \xb0C\n', 'latin1')]));
    expect(() => readCsv(latin1)).toThrow(/latin1\.csv:4: column 'a': '4 \uFFFDC' is not a number/);
    const header = join(dir, 'header.csv');
    writeFileSync(header, Buffer.concat([Buffer.from('ts,temp [', 'latin1'), Buffer.from('\xb0C]\n1,2\n', 'latin1')]));
    expect(() => readCsv(header)).toThrow(/header\.csv:1: bytes that are not UTF-8 .* in the header/);
    // In a column no command reads (a note, ignored): read, and said once (a review: one 'Störung' refused the file).
    const notes: string[] = [];
    const note = join(dir, 'note.csv');
    writeFileSync(note, Buffer.concat([Buffer.from('ts,a,Bemerkung\n1,2,ok\n'), Buffer.from('2,3,St\xf6rung\n', 'latin1')]));
    expect(readCsv(note, { ignore: ['Bemerkung'], onNote: (n) => notes.push(n) }).channels).toEqual(['a']);
    expect(notes.join('\n')).toMatch(/note\.csv:3: bytes that are not UTF-8/);
    const utf16 = join(dir, 'utf16.csv');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ts,a\n1,2\n', 'utf16le')]));
    expect(() => readCsv(utf16)).toThrow(/utf16\.csv: the file is UTF-16/);
    const bom = join(dir, 'bom.csv');
    writeFileSync(bom, '\ufeffts,temp [°C]\r\n1,2\r\n2,3\r\n');
    expect(readCsv(bom).channels).toEqual(['temp [°C]']);
  });
});
