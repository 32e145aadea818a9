/**
 * Readings whose payload carries no timestamp are stamped with their arrival time; two of one sensor in the same
 * millisecond are both kept, in arrival order (issue 17.10). A reading with the same explicit timestamp and other
 * values is still dropped and counted (timestamp_conflict).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCodec, decode, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { CodecConfigSchema, type CodecConfig } from '../../runtime/codecs/registry.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { RawMessage, SensorWindow } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

const { card } = tinyModel({ window: 2, channels: ['v'] });
const msg = (payload: string, receivedAt: number, topic = 's/p1/data'): RawMessage => ({ topic, payload: new TextEncoder().encode(payload), receivedAt });

async function windowsOf(messages: RawMessage[], codec: CodecConfig = CodecConfigSchema.parse({ kind: 'json' }), timestamp = DEFAULT_TIMESTAMP) {
  const counters = createCounters();
  const route = topicRouter([compileTopicTemplate('s/{sensor}/data')]);
  const c = createCodec(codec, { channels: ['v'], timestamp });
  const out: SensorWindow[] = await lastValueFrom(
    from(messages).pipe(decode({ codec: c, route, maxPayloadBytes: 1024, onRejected: () => {} }), windowBySensor(card, { counters }), toArray()),
  );
  return { out, counters };
}

describe('arrival-stamped readings', () => {
  it('keeps 20 readings of one sensor arriving in pairs in the same millisecond, in arrival order', async () => {
    const t0 = 1_700_000_000_000;
    const messages = Array.from({ length: 20 }, (_, i) => msg(JSON.stringify({ v: i }), t0 + Math.floor(i / 2)));
    const { out, counters } = await windowsOf(messages);
    expect(counters).toMatchObject({ readings: 20, duplicates: 0, outOfOrder: 0 });
    expect(out).toHaveLength(19);
    // Every window's data time is strictly increasing, and each holds the two readings in arrival order.
    for (let i = 1; i < out.length; i++) expect(out[i].tsLast).toBeGreaterThan(out[i - 1].tsLast);
    expect(out.map((w) => [...w.data])).toEqual(Array.from({ length: 19 }, (_, i) => [i, i + 1]));
    // A tie moves the later reading a microsecond on, not a whole millisecond.
    expect(out[0].tsLast - t0).toBeLessThan(0.01);
  });

  it('orders arrival-stamped readings of the csv, json-array and number codecs too, and with source: arrival', async () => {
    const t0 = 1_700_000_000_000;
    const cases: [CodecConfig, string][] = [
      [CodecConfigSchema.parse({ kind: 'csv' }), '1.5'],
      [CodecConfigSchema.parse({ kind: 'json-array' }), '[1.5]'],
      [CodecConfigSchema.parse({ kind: 'number', joinToleranceMs: 0 }), '1.5'],
    ];
    for (const [codec, payload] of cases) {
      const { counters } = await windowsOf([msg(payload, t0), msg(payload, t0), msg(payload, t0)], codec);
      expect(counters, codec.kind).toMatchObject({ duplicates: 0, windows: 2 });
    }
    // source: arrival ignores the payload's timestamp, so equal payload stamps do not make duplicates either.
    const { counters } = await windowsOf([msg('{"ts":5,"v":1}', t0), msg('{"ts":5,"v":2}', t0)], undefined, { ...DEFAULT_TIMESTAMP, source: 'arrival' });
    expect(counters).toMatchObject({ duplicates: 0, windows: 1 });
  });

  it('still drops and counts readings that repeat an explicit timestamp', async () => {
    const t0 = 1_700_000_000_000;
    const ts = t0 - 1000;
    const { out, counters } = await windowsOf([msg(`{"ts":${ts},"v":1}`, t0), msg(`{"ts":${ts},"v":2}`, t0), msg(`{"ts":${ts + 1},"v":3}`, t0 + 1)]);
    expect(counters).toMatchObject({ readings: 3, duplicates: 0, timestampConflicts: 1, windows: 1 });
    expect([...out[0].data]).toEqual([1, 3]);
  });
});
