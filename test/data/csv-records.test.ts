import { describe, expect, it } from 'vitest';
import { CsvError, CsvRecords, csvRecords, detectSeparator } from '../../runtime/data/csv-records.ts';
import { parseCsv } from '../../runtime/data/csv.ts';

describe('csvRecords (RFC 4180 quoting)', () => {
  it('keeps a separator, a doubled quote and a line break inside quotes as part of the field', () => {
    const r = csvRecords('id,note,v\n1,"a, b",2\n2,"say ""hi""",3\n3,"two\nlines",4\n4,plain,5\n');
    expect(r.records).toEqual([
      ['id', 'note', 'v'],
      ['1', 'a, b', '2'],
      ['2', 'say "hi"', '3'],
      ['3', 'two\nlines', '4'],
      ['4', 'plain', '5'],
    ]);
    expect(r.lines).toEqual([1, 2, 3, 4, 6]);
  });

  it('accepts a byte-order mark, CRLF line ends, blank lines, spaces around fields and an empty quoted field', () => {
    const r = csvRecords('\uFEFFa;b\r\n\r\n 1 ; "x;y" \r\n"";2\r\n');
    expect(r.separator).toBe(';');
    expect(r.records).toEqual([['a', 'b'], ['1', 'x;y'], ['', '2']]);
    expect(r.lines).toEqual([1, 3, 4]);
  });

  it('detects the separator from fields outside quotes', () => {
    expect(detectSeparator('"a;b;c",x,y')).toBe(',');
    expect(detectSeparator('"a,b,c";x;y')).toBe(';');
  });

  it('names file:line for an unclosed quote and for text after a closing quote', () => {
    expect(() => csvRecords('a,b\n1,"open\n2,3\n', { file: 'f.csv' })).toThrow(/^f\.csv:2: a quoted field is not closed/);
    expect(() => csvRecords('a,b\n1,"x"y\n', { file: 'f.csv' })).toThrow(CsvError);
    expect(() => csvRecords('a,b\n1,"x"y\n', { file: 'f.csv' })).toThrow(/^f\.csv:2: 'y' after a closing quote/);
  });

  it('reads one record at a time with the line it began on', () => {
    const r = new CsvRecords('x\n"1\n2"\n3\n');
    expect([r.next(), r.line, r.next(), r.line, r.next(), r.line, r.next()]).toEqual([['x'], 1, ['1\n2'], 2, ['3'], 4, undefined]);
  });
});

describe('parseCsv with quoted fields', () => {
  const text = 'timestamp,"flow, l/s",label\n1700000000,1.5,"spike, short"\n1700000001,"2","multi\nline"\n';

  it('reads a header name and a label cell that hold the separator', () => {
    const s = parseCsv(text);
    expect(s.channels).toEqual(['flow, l/s']);
    expect(Array.from(s.data)).toEqual([1.5, 2]);
    expect(s.extra).toEqual({ label: ['spike, short', 'multi\nline'] });
  });

  it('names the line a record began on after a quoted line break', () => {
    expect(() => parseCsv(`${text}1700000002,x,ok\n`, { file: 'q.csv' })).toThrow(/^q\.csv:5: column 'flow, l\/s': 'x' is not a number/);
  });
});
