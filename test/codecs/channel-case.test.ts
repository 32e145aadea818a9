/**
 * A payload key or Sparkplug metric named like a model channel but for its case (`Temperature` for `temperature`):
 * a probe's devices sent it, vigil read the other channels, held `temperature` at the training mean, flagged every
 * window incomplete and, a minute later, signalled it `missing ... or never sent`, with no word that it was there all
 * along under another spelling. The codecs now say so in the log, once per spelling, naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { createCodec, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { msg as spMsg, T0 } from './sparkplug-messages.ts';

const channels = ['flow', 'motor_current', 'temperature'];
const enc = (s: string) => new TextEncoder().encode(s);

function codecWithNotes(kind: 'json' | 'sparkplug') {
  const notes: { fields: Record<string, unknown>; msg: string }[] = [];
  const codec = createCodec({ kind, rebirthIntervalMs: 5000 }, { channels, timestamp: DEFAULT_TIMESTAMP, note: (fields, msg) => notes.push({ fields, msg }) });
  return { codec, notes };
}

describe('channel names that differ only in case', () => {
  it('json: says once per spelling which key was ignored and how to read it', () => {
    const { codec, notes } = codecWithNotes('json');
    const at = (sensor: string, body: string, t: number) => codec.decode({ topic: `s/${sensor}/data`, payload: enc(body), receivedAt: t }, { sensor });
    const r = at('p1', `{"ts":${T0},"flow":1,"motor_current":2,"Temperature":33.6}`, T0 + 5);
    expect(r).toMatchObject([{ values: { flow: 1, motor_current: 2 } }]);
    expect(notes).toEqual([{
      fields: { sensor: 'p1', channel: 'temperature', sent: 'Temperature' },
      msg: expect.stringMatching(/sensor p1: payload key 'Temperature' is not model channel 'temperature' \(names differ in case\): it is ignored.*source\.channels: \{ temperature: Temperature \}/),
    }]);
    // Not again for the same spelling, from this sensor or another; nested under `values` alike.
    at('p1', `{"ts":${T0 + 1000},"flow":1,"motor_current":2,"Temperature":33.6}`, T0 + 1005);
    at('p2', `{"ts":${T0},"values":{"flow":1,"motor_current":2,"Temperature":33.6}}`, T0 + 5);
    expect(notes).toHaveLength(1);
    // Another spelling is said; a payload with the exact name says nothing.
    at('p3', `{"ts":${T0},"FLOW":1,"motor_current":2,"temperature":3}`, T0 + 5);
    at('p4', `{"ts":${T0},"flow":1,"motor_current":2,"temperature":3,"Temperature":4}`, T0 + 5);
    expect(notes.map((n) => n.fields.sent)).toEqual(['Temperature', 'FLOW']);
  });

  it('sparkplug: a birth with a metric named like a channel but for case says so, once per node', () => {
    const { codec, notes } = codecWithNotes('sparkplug');
    const metrics = [
      { name: 'flow', alias: 1, type: 'Double', value: 38.1 },
      { name: 'motor_current', alias: 2, type: 'Double', value: 13.2 },
      { name: 'Temperature', alias: 3, type: 'Double', value: 33.6 },
    ];
    codec.decode(spMsg('DBIRTH', { timestamp: T0, seq: 1, metrics }, T0), { sensor: 'plant:edge1:pump7' });
    codec.decode(spMsg('DBIRTH', { timestamp: T0 + 10, seq: 2, metrics }, T0 + 10), { sensor: 'plant:edge1:pump7' });
    expect(notes).toEqual([{
      fields: { sensor: 'plant:edge1:pump7', channel: 'temperature', sent: 'Temperature' },
      msg: expect.stringMatching(/sensor plant:edge1:pump7: metric 'Temperature' is not model channel 'temperature' \(names differ in case\)/),
    }]);
  });
});
