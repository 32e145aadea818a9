/**
 * Invalid readings as anomaly signals (runtime/alerts/invalid-signals.ts): out_of_range and bad_value of a
 * known sensor signal at most once per sensor and reason per interval, each signal counting the readings it stands for;
 * other rejections and unknown sensors never signal. Time is the rejection's arrival time (no clock).
 */
import { describe, expect, it } from 'vitest';
import { FIRST_SIGNALS, invalidSignals } from '../../runtime/alerts/invalid-signals.ts';
import { invalidPayload, InvalidPayloadSchema } from '../../runtime/mqtt/alert-payload.ts';
import type { Rejected } from '../../runtime/stream/types.ts';

const out = (sensor: string, at: number, value = 900): Rejected => ({
  reason: 'out_of_range',
  detail: `channel 'temp' is ${value}, outside its physical range [-40, 125] (ranges.temp in the model card)`,
  topic: `s/${sensor}/data`,
  receivedAt: at,
  sensor,
  outOfRange: { channel: 'temp', value, range: [-40, 125] },
});

describe('invalid-reading signals', () => {
  it('one per sensor per interval, the next one counting the readings in between', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 100 });
    const got = [0, 1_000, 30_000, 59_999, 60_000, 61_000, 125_000].map((t) => s.offer(out('p1', t))?.count ?? null);
    expect(got).toEqual([1, null, null, null, 4, null, 2]);
    // Per sensor: another sensor is not held back by p1.
    expect(s.offer(out('p2', 61_500))?.count).toBe(1);
  });

  it('at most FIRST_SIGNALS sensors signal for the first time per interval (a probe: 2,000 new topics, 2,000 signals); the rest later, counted', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 10_000 });
    const first = Array.from({ length: 2000 }, (_, i) => s.offer(out(`junk-${i}`, 1000 + i))).filter((x) => x !== undefined);
    expect(first).toHaveLength(FIRST_SIGNALS);
    // A sensor that has signalled before is not held back by the flood.
    expect(s.offer(out('junk-0', 61_000))?.count).toBe(1);
    // The next interval lets the next ones through, each counting the readings it stands for.
    const later = Array.from({ length: 50 }, (_, i) => s.offer(out(`junk-${100 + i}`, 62_000 + i))).filter((x) => x !== undefined);
    expect(later).toHaveLength(FIRST_SIGNALS);
    expect(later[0]).toMatchObject({ sensor: 'junk-100', count: 2 });
    // A sensor vigil has read readings of is never held back by the flood (a review: pump-1 unsaid for hours).
    const known = invalidSignals({ intervalMs: 60_000, maxSensors: 10_000, known: (sensor) => sensor === 'pump-1' });
    for (let i = 0; i < 2000; i++) known.offer(out(`junk-${i}`, 1000 + i));
    expect(known.offer(out('pump-1', 3500))).toMatchObject({ sensor: 'pump-1', count: 1 });
  });

  it('a bad value is not held back by, nor counted in, the sensor\'s out-of-range signals', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 100 });
    const bad = (at: number): Rejected => ({ reason: 'bad_value', detail: "channel 'flow' is \"abc\"; expected a number", topic: 's/m2/data', receivedAt: at, sensor: 'm2' });
    expect([0, 1000, 2000].map((t) => s.offer(out('m2', t))?.count ?? null)).toEqual([1, null, null]);
    expect(s.offer(bad(3000))).toMatchObject({ reason: 'bad_value', count: 1 });
    expect(s.offer(out('m2', 61_000))).toMatchObject({ reason: 'out_of_range', count: 3 });
  });

  it('bad_value of a known sensor signals; other reasons and topic-less rejections do not', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 100 });
    expect(s.offer({ reason: 'bad_json', detail: 'x', topic: 's/p1/data', receivedAt: 0, sensor: 'p1' })).toBeUndefined();
    expect(s.offer({ reason: 'bad_value', detail: 'x', topic: 'junk', receivedAt: 0 })).toBeUndefined();
    expect(s.offer({ reason: 'bad_value', detail: "channel 'temp' is 4e+38, beyond the float32 range", topic: 's/p1/data', receivedAt: 5, sensor: 'p1' }))
      .toEqual({ sensor: 'p1', reason: 'bad_value', detail: "channel 'temp' is 4e+38, beyond the float32 range", receivedAt: 5, count: 1 });
  });

  it('interval 0 signals every reading; a clock stepping back does not silence a sensor', () => {
    const every = invalidSignals({ intervalMs: 0, maxSensors: 10 });
    expect([1, 1, 2].map((t) => every.offer(out('p1', t))?.count)).toEqual([1, 1, 1]);
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 10 });
    expect(s.offer(out('p1', 1_000_000))?.count).toBe(1);
    expect(s.offer(out('p1', 5_000))?.count).toBe(1);
  });

  it('remembers at most maxSensors: the least recently seen is forgotten and signals again at once', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 2 });
    expect(s.offer(out('a', 0))).toBeDefined();
    expect(s.offer(out('b', 1))).toBeDefined();
    expect(s.offer(out('a', 2))).toBeUndefined();
    expect(s.offer(out('c', 3))).toBeDefined(); // evicts b
    expect(s.offer(out('a', 4))).toBeUndefined();
    expect(s.offer(out('b', 5))?.count).toBe(1);
  });

  it('the payload names sensor, reason, channel, value, range, count and model', () => {
    const signal = invalidSignals({ intervalMs: 60_000, maxSensors: 10 }).offer(out('p1', Date.UTC(2026, 0, 1), 250))!;
    expect(JSON.parse(JSON.stringify(invalidPayload(signal, { name: 'pump', version: '3' })))).toEqual({
      schema: 'vigil-alert/1',
      type: 'invalid',
      sensor: 'p1',
      reason: 'out_of_range',
      channel: 'temp',
      value: 250,
      range: [-40, 125],
      detail: "channel 'temp' is 250, outside its physical range [-40, 125] (ranges.temp in the model card)",
      receivedAt: '2026-01-01T00:00:00.000Z',
      ts: Date.UTC(2026, 0, 1),
      count: 1,
      model: { name: 'pump', version: '3' },
      severity: 'warning',
    });
  });

  it('a missing channel signals under a per-sensor limit of its own, naming the channels', () => {
    const s = invalidSignals({ intervalMs: 60_000, maxSensors: 10 });
    const first = s.missing('p1', ['temp', 'flow'], 0, 60_000)!;
    expect(first).toMatchObject({ sensor: 'p1', reason: 'missing_channel', channels: ['temp', 'flow'], count: 1 });
    expect(first.detail).toBe("channels 'temp', 'flow' missing from its readings for over 60 s (window.maxFillAgeMs), or never sent: the last value is held and its windows are flagged incomplete");
    // Within the interval no more missing-channel signals (the next counts them); an out-of-range reading is not held
    // back by them: a channel gone for good must not hide a sensor's invalid readings.
    expect(s.missing('p1', ['temp'], 1000, 60_000)).toBeUndefined();
    expect(s.offer(out('p1', 2000))?.reason).toBe('out_of_range');
    expect(s.missing('p1', ['temp'], 61_000, 60_000)?.count).toBe(2);
    expect(JSON.parse(JSON.stringify(invalidPayload(first, { name: 'pump', version: '3' })))).toMatchObject({ type: 'invalid', reason: 'missing_channel', channels: ['temp', 'flow'] });
    expect(InvalidPayloadSchema.safeParse(invalidPayload(first, { name: 'pump', version: '3' })).success).toBe(true);
  });
});
