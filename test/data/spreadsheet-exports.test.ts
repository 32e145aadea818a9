/**
 * What a spreadsheet export does to a CSV, read where every command reads one (runtime/data/csv.ts); found by a
 * probe training on exports as they come from Excel and historians.
 */
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../runtime/data/csv.ts';

describe('spreadsheet exports', () => {
  it('refuses a row with more fields than the header instead of dropping the rest (decimal commas in a , file)', () => {
    // Read before as a = 20, b = 5: every number after the first shifted one channel on, silently.
    expect(() => parseCsv('ts,a,b\n1,20,5,30,1\n2,20,6,30,2\n', { file: 'f.csv' })).toThrow(
      /f\.csv:2: 5 fields; expected 3 \(ts,a,b\): a decimal comma in a ','-separated file splits a number in two/,
    );
    expect(() => parseCsv('ts;a;b\n1;20;30;7\n', { file: 'f.csv' })).toThrow(/f\.csv:2: 4 fields; expected 3 \(ts;a;b\)$/);
    // A trailing separator on the rows (an empty field past the header's) is no value.
    expect(Array.from(parseCsv('ts;a;b\n1;20,5;30;\n2;20,6;31;\n').data)).toEqual([20.5, 30, 20.6, 31].map(Math.fround));
  });

  it('reads a header that ends with the separator (an unnamed, empty last column) and refuses a value under it', () => {
    // Refused before as channel '', with `--ignore ''` suggested, which names nothing.
    const s = parseCsv('ts;a;b;\n1;20,5;30;\n2;20,6;31;\n3;20,7;32\n', { file: 'f.csv' });
    expect(s.channels).toEqual(['a', 'b']);
    expect(Array.from(s.data)).toEqual([20.5, 30, 20.6, 31, 20.7, 32].map(Math.fround));
    expect(() => parseCsv('ts;a;b;\n1;20,5;30;\n2;20,6;31;7\n', { file: 'f.csv' })).toThrow(
      /f\.csv:3: 4 fields; expected 3 \(ts;a;b\): '7' under the header's unnamed last column \(it ends with ';'\); expected that column empty, or a name for it in the header/,
    );
  });

  it('reads a decimal comma in scientific notation, as a German spreadsheet writes small values', () => {
    // '2,5E-05' was 'not a number' in a file whose '20,5' read fine.
    const s = parseCsv('ts;a;b\n1;20,5;2,5E-05\n2;1,039e+01;-3,1E2\n', { file: 'f.csv' });
    expect(Array.from(s.data)).toEqual([20.5, 2.5e-5, 10.39, -310].map(Math.fround));
    // Still one mark per file, and still no decimal comma in a ','-separated one.
    expect(() => parseCsv('ts,a\n1,"2,5E-05"\n', { file: 'f.csv' })).toThrow(/has a decimal comma in a ','-separated file/);
  });

  it('(training) refuses a channel mostly empty under --fill zero, which would train a channel of zeros', () => {
    // An all-empty spare column trained before as a constant 0 (README: a channel more than half filled is refused).
    const text = `ts,a,spare\n${Array.from({ length: 10 }, (_, r) => `${r + 1},${r},${r < 3 ? r : ''}`).join('\n')}\n`;
    expect(() => parseCsv(text, { file: 'f.csv', fill: 'zero', maxFilledShare: 0.5 })).toThrow(
      /f\.csv: column 'spare': 7 of 10 cells were empty and were filled by --fill zero; .*--ignore 'spare'/,
    );
    // Forward-filled, a setpoint recorded only when it changes is still read.
    expect(parseCsv(text, { fill: 'ffill', maxFilledShare: 0.5 }).channels).toEqual(['a', 'spare']);
  });

  it('names a units row under the header as such', () => {
    // Said before only as "'' is not a timestamp".
    expect(() => parseCsv('timestamp;flow;temp\n;m³/h;°C\n2024-03-04 08:00:00;1,5;20\n', { file: 'f.csv' })).toThrow(
      /f\.csv:2: column 'timestamp': '' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds, ms, µs or ns; line 2 holds no number: a units row under the header\? Remove it/,
    );
    // A bad timestamp on a row of readings is only that.
    expect(() => parseCsv('timestamp,flow\nyesterday,1.5\n', { file: 'f.csv' })).toThrow(/'yesterday' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds, ms, µs or ns$/);
  });

  it('says how to name a column whose name holds a comma when a list split it', () => {
    expect(() => parseCsv('ts,"Flow, m3/h",temp\n1,2,3\n', { file: 'f.csv', channels: ['Flow', 'm3/h'] })).toThrow(
      /no column\(s\) Flow, m3\/h; .* \(a name holding a comma is given in double quotes: '"Flow, m3\/h"'\)/,
    );
    expect(parseCsv('ts,"Flow, m3/h",temp\n1,2,3\n', { channels: ['Flow, m3/h'] }).channels).toEqual(['Flow, m3/h']);
  });
});
