/**
 * A payload key holding a number under a name no channel is read under, while a channel is missing: a probe's AHU sent
 * `sat` to a model of `supply_air_c`, and vigil held supply_air_c and signalled it "missing ... or never sent" with no
 * word of the number that came with every reading. The json codec now says so in the log, once per key.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';

const channels = ['supply_air_c', 'fan_speed_pct'];
const T0 = Date.UTC(2024, 2, 11);
const enc = (s: string) => new TextEncoder().encode(s);

function codecWithNotes(paths?: Record<string, string>) {
  const notes: { fields: Record<string, unknown>; msg: string }[] = [];
  const codec = createCodec({ kind: 'json' }, { channels, paths, timestamp: DEFAULT_TIMESTAMP, note: (fields, msg) => notes.push({ fields, msg }) });
  const at = (sensor: string, body: string) => codec.decode({ topic: `bms/${sensor}/telemetry`, payload: enc(body), receivedAt: T0 + 5 }, { sensor });
  return { at, notes };
}

describe('payload keys read as nothing while a channel is missing', () => {
  it('says once per key which number was ignored, which channel is missing and the mapping that reads it', () => {
    const { at, notes } = codecWithNotes();
    const r = at('ahu05', `{"ts":${T0},"sat":17.8,"fan_speed_pct":74.1,"status":"ok"}`);
    expect(r).toMatchObject([{ values: { fan_speed_pct: 74.1 } }]);
    expect(notes).toEqual([{
      fields: { sensor: 'ahu05', sent: 'sat', missing: ['supply_air_c'] },
      msg: expect.stringMatching(/sensor ahu05: payload key 'sat' holds a number but is no model channel, so it is ignored, while channel 'supply_air_c' is missing.*source\.channels: \{ supply_air_c: sat \}/),
    }]);
    // Not again for that key, from this sensor or another, nested under `values` alike.
    at('ahu05', `{"ts":${T0 + 10_000},"sat":17.9,"fan_speed_pct":74.0}`);
    at('ahu06', `{"ts":${T0},"values":{"sat":17.9,"fan_speed_pct":74.0}}`);
    expect(notes).toHaveLength(1);
  });

  it('says nothing when every channel is there, a channel is null (a missing sample), or the key is the time or a mapped path', () => {
    const { at, notes } = codecWithNotes();
    at('a', `{"ts":${T0},"supply_air_c":17.8,"fan_speed_pct":74.1,"rssi":-61}`);
    at('a', `{"ts":${T0 + 10_000},"supply_air_c":null,"fan_speed_pct":74.1,"rssi":-61}`);
    // A second time under a time's name (time-field-note.ts's concern), with a channel missing.
    at('a', `{"ts":${T0 + 20_000},"timestamp":${T0 + 20_000},"fan_speed_pct":74.1}`);
    expect(notes).toEqual([]);
    const mapped = codecWithNotes({ supply_air_c: 'SAT' });
    expect(mapped.at('b', `{"ts":${T0},"SAT":17.8}`)).toMatchObject([{ values: { supply_air_c: 17.8 } }]);
    expect(mapped.notes.map((n) => n.fields.sent)).toEqual([]);
    // A mapped channel present, another missing: a stray number is said, the mapped key and the time are not.
    mapped.at('b', `{"ts":${T0 + 10_000},"SAT":17.8,"fan":74.1}`);
    expect(mapped.notes.map((n) => n.fields.sent)).toEqual(['fan']);
  });

  it('shows a long key by its start and length, not whole (a 50,000-character key was logged whole)', () => {
    const { at, notes } = codecWithNotes();
    const key = 'k'.repeat(50_000);
    at('a', `{"ts":${T0},"${key}":1,"fan_speed_pct":74.1}`);
    expect(notes).toHaveLength(1);
    expect(notes[0].fields.sent).toBe(`${'k'.repeat(64)}... (50000 characters)`);
    expect(notes[0].msg.length).toBeLessThan(1_000);
  });
});
