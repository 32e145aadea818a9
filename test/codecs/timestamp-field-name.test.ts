/**
 * A JSON payload whose time is under another name than `source.timestamp.field` (`ts`): a probe's devices sent
 * `{"timestamp": ..., "flow": ...}`, an hour of buffered readings; each was stamped on its arrival, the hour's 40
 * readings a few ms apart, and an alert opened on "07:49:13.235 .. 07:49:13.237", an hour off the data's own time,
 * with no word that the payload carried one. The codec now says so, once per field name, naming the setting.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { ok } from './decoded.ts';

const NOW = Date.UTC(2026, 11, 7, 7, 49, 13);
const enc = (s: string) => new TextEncoder().encode(s);

function codecWithNotes(timestamp = DEFAULT_TIMESTAMP) {
  const notes: { fields: Record<string, unknown>; msg: string }[] = [];
  const codec = createCodec({ kind: 'json' }, { channels: ['flow', 'temp'], timestamp, note: (fields, msg) => notes.push({ fields, msg }) });
  const send = (sensor: string, body: object) => codec.decode({ topic: `s/${sensor}/data`, payload: enc(JSON.stringify(body)), receivedAt: NOW }, { sensor });
  return { notes, send };
}

describe('a payload time under another field name', () => {
  it('is said once per name: stamped on arrival, and which setting reads it', () => {
    const { notes, send } = codecWithNotes();
    expect(ok(send('p1', { timestamp: NOW - 3_600_000, flow: 1, temp: 2 }))[0]).toMatchObject({ ts: NOW, arrival: true });
    send('p2', { timestamp: NOW - 3_599_000, flow: 1, temp: 2 });
    send('p3', { Time: '2026-12-07T06:49:13', flow: 1, temp: 2 });
    expect(notes).toEqual([
      { fields: { sensor: 'p1', field: 'timestamp' }, msg: expect.stringMatching(/sensor p1: payload has no 'ts' \(source\.timestamp\.field\) but its 'timestamp' reads as a time \(2026-12-07T06:49:13\.000Z\): readings are stamped on arrival; set source\.timestamp\.field: timestamp to read it/) },
      { fields: { sensor: 'p3', field: 'Time' }, msg: expect.stringContaining("its 'Time' reads as a time") },
    ]);
  });

  it('says nothing when the field is there, the time is taken on arrival by choice, or the key is no time', () => {
    const { notes, send } = codecWithNotes();
    send('p1', { ts: NOW - 1000, timestamp: NOW - 1000, flow: 1 });
    send('p2', { time: 'now', flow: 1 });
    send('p3', { flow: 1, temp: 2 });
    const arrival = codecWithNotes({ ...DEFAULT_TIMESTAMP, source: 'arrival' });
    arrival.send('p4', { timestamp: NOW - 1000, flow: 1 });
    expect([...notes, ...arrival.notes]).toEqual([]);
  });
});
