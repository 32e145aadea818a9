/**
 * A CSV payload that starts with a header line, as a device exporting a small file per message writes it: the csv
 * codec read the header as data, refused the whole message (`timestamp "ts" is not a timestamp (line 1)`), and a
 * probe's three rows behind it went unscored. A header naming the model's channels in card order (after a time column
 * or not) is now skipped; any other header is refused saying it is one and what would be read.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { ok, rej } from './decoded.ts';

const NOW = Date.UTC(2026, 11, 7, 7, 14, 57);
const codec = createCodec({ kind: 'csv' }, { channels: ['flow', 'motor_current', 'temperature'], timestamp: DEFAULT_TIMESTAMP });
const send = (text: string) => codec.decode({ topic: 'probeA/csv/c-hdr/data', payload: new TextEncoder().encode(text), receivedAt: NOW }, { sensor: 'c-hdr' });
const rows = `${NOW - 3000},38.1,13.2,33.6\n${NOW - 2000},38.2,13.1,33.6\n${NOW - 1000},38.3,13.0,33.7\n`;

describe('a csv payload with a header line', () => {
  it('naming the channels in card order: skipped, every row read', () => {
    for (const header of ['ts,flow,motor_current,temperature', 'timestamp,flow,motor_current,temperature', '"time","flow","motor_current","temperature"']) {
      expect(ok(send(`${header}\r\n${rows}`)).map((r) => r.ts), header).toEqual([NOW - 3000, NOW - 2000, NOW - 1000]);
    }
    expect(ok(send('flow,motor_current,temperature\n38.1,13.2,33.6'))[0].values).toEqual({ flow: 38.1, motor_current: 13.2, temperature: 33.6 });
  });

  it('naming other columns, or alone: refused, saying it is a header', () => {
    expect(rej(send(`ts,temperature,flow,motor_current\n${rows}`))).toMatchObject({
      reason: 'bad_csv',
      detail: expect.stringMatching(/line 1 is a header \(ts,temperature,flow,motor_current\) that does not name the model's channels in order; expected lines of 3 values \(flow,motor_current,temperature\)/),
    });
    expect(rej(send('ts,flow,motor_current,temperature\n'))).toMatchObject({ reason: 'bad_csv', detail: expect.stringContaining('only a header') });
  });
});

describe('a bad row under a skipped header', () => {
  it('is named by its line in the payload', () => {
    expect(rej(send(`ts,flow,motor_current,temperature\n${NOW - 1000},38.1,x,33.6\n`))).toMatchObject({ reason: 'bad_value', detail: expect.stringContaining('(line 2)') });
    // Text values are bad values, not a header.
    expect(rej(send('n/a,n/a,n/a'))).toMatchObject({ reason: 'bad_value' });
  });
});
