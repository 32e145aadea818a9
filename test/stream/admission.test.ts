/**
 * A topic flood must not lock out real sensors (issue 17.9): a full pool evicts its least recently seen sensor
 * instead of refusing the new one, and admission rules by topic prefix give real sensors a pool of their own that
 * a flood elsewhere cannot evict (or refuse a prefix outright).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCodec, decode, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { CodecConfigSchema } from '../../runtime/codecs/registry.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import { admissionPools, type AdmissionRule } from '../../runtime/stream/admission.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { RawMessage, Reading } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

const W = 4;
const { card } = tinyModel({ window: W, channels: ['v'] });
const t0 = 1_700_000_000_000;
const reading = (sensor: string, i: number): Reading => ({ sensor, ts: t0 + i * 1000, values: { v: i }, receivedAt: t0 + i });

describe('sensor admission', () => {
  it('after 50,000 junk sensors a legitimate one is still windowed: the least recently seen are evicted', async () => {
    const counters = createCounters();
    const evicted: string[] = [];
    const junk = Array.from({ length: 50_000 }, (_, i) => reading(`junk-${i}`, i));
    const legit = Array.from({ length: W }, (_, i) => reading('pump-1', 50_000 + i));
    const out = await lastValueFrom(from([...junk, ...legit]).pipe(windowBySensor(card, { maxSensors: 1000, counters, onEvict: (s) => evicted.push(s) }), toArray()));
    expect(out.map((w) => w.sensor)).toEqual(['pump-1']);
    expect(counters).toMatchObject({ sensorLimit: 0, evictedFull: 49_000 + 1, activeSensors: 1000 });
    // Oldest first: junk-0 went first, and the legitimate sensor's arrival evicted the oldest junk left.
    expect(evicted.slice(0, 2)).toEqual(['junk-0', 'junk-1']);
    expect(evicted.at(-1)).toBe('junk-49000');
  });

  it('gives a topic prefix its own pool, which a flood on other topics cannot evict, and refuses a prefix with 0', async () => {
    const rules: AdmissionRule[] = [
      { prefix: 'plant/', maxSensors: 2 },
      { prefix: 'spam/', maxSensors: 0 },
    ];
    const pools = admissionPools(rules, 100);
    expect([pools.poolOf('plant/a/data'), pools.poolOf('spam/x/data'), pools.poolOf('other/y/data')]).toEqual([0, 1, 2]);
    expect(pools.capacity).toBe(102);

    const msg = (topic: string, i: number): RawMessage => ({ topic, payload: Buffer.from(JSON.stringify({ ts: t0 + i * 1000, v: i })), receivedAt: t0 + i });
    const messages: RawMessage[] = [];
    // Two plant sensors start, a flood of 5,000 other topics and 10 spam topics comes, then the plant sensors go on.
    for (let i = 0; i < 2; i++) messages.push(msg('plant/p1/data', i), msg('plant/p2/data', i));
    for (let j = 0; j < 5000; j++) messages.push(msg(`other/junk${j}/data`, j));
    for (let j = 0; j < 10; j++) messages.push(msg(`spam/s${j}/data`, j));
    for (let i = 2; i < W; i++) messages.push(msg('plant/p1/data', i), msg('plant/p2/data', i));

    const counters = createCounters();
    const route = topicRouter([compileTopicTemplate('plant/{sensor}/data'), compileTopicTemplate('other/{sensor}/data'), compileTopicTemplate('spam/{sensor}/data')]);
    const codec = createCodec(CodecConfigSchema.parse({ kind: 'json' }), { channels: ['v'], timestamp: DEFAULT_TIMESTAMP });
    const out = await lastValueFrom(
      from(messages).pipe(
        decode({ codec, route, maxPayloadBytes: 1024, onRejected: () => {}, poolOf: pools.poolOf }),
        windowBySensor(card, { maxSensors: 100, admission: rules, counters }),
        toArray(),
      ),
    );
    // Both plant sensors kept their windows through the flood: their first rows are in them.
    expect(out.map((w) => [w.sensor, w.tsFirst])).toEqual([['p1', t0], ['p2', t0]]);
    expect(counters).toMatchObject({ evictedFull: 4900, sensorLimit: 10, activeSensors: 102 });
  });
});
