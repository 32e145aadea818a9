import { describe, expect, it } from 'vitest';
import { from, Subject } from 'rxjs';
import { createCounters, droppedByReason } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { RecentReadings, SharedBudget } from '../../runtime/window/recent-readings.ts';
import type { Reading } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card } = tinyModel({ window: 3, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [0, 0], scale: [1, 1] } });

/** Feed `readings` through a window stage left open (its teardown gives the memory back); returns the unsubscribe. */
function feed(readings: Reading[], opts: Parameters<typeof windowBySensor>[1]): () => void {
  const src = new Subject<Reading>();
  const sub = src.pipe(windowBySensor(card, opts)).subscribe();
  for (const r of readings) src.next(r);
  return () => sub.unsubscribe();
}

/**
 * `seconds` of one sensor arriving at `rate` readings/s from t0, values distinct per reading; data time a second
 * per reading (1 Hz data replayed fast, as the broker kill bench and a gateway flushing its buffer send it).
 */
function stream(sensor: string, rate: number, seconds: number, t0 = 1_000_000): Reading[] {
  return Array.from({ length: rate * seconds }, (_, i) => rd(sensor, t0 + i * 1000, { a: i, b: i % 7 }, t0 + (i * 1000) / rate));
}

/** Copies of `readings` redelivered at `at` (arrival ms). */
const redelivered = (readings: Reading[], at: number) => readings.map((r) => ({ ...r, values: { ...r.values }, receivedAt: at }));

describe('duplicates by arrival time (window.duplicateHorizonMs)', () => {
  it('classifies QoS 1 copies of readings received 2 s back at 5,000 readings/s as duplicates, not out_of_order', () => {
    const counters = createCounters();
    const drops: string[] = [];
    const live = stream('s', 5000, 3);
    const end = live[live.length - 1].receivedAt;
    // The broker's redelivery after a restart: 1,000 readings vigil got 2.2 to 2.0 s before its last one, in order.
    const copies = redelivered(live.slice(4000, 5000), end + 50);
    from([...live, ...copies]).pipe(windowBySensor(card, { counters, onDrop: (reason) => drops.push(reason) })).subscribe();
    expect(counters).toMatchObject({ readings: 16_000, duplicates: 1000, outOfOrder: 0, duplicateMemoryShed: 0 });
    expect(drops).toEqual([]);
    // A copy whose values differ is no copy: out_of_order, as any late reading.
    const other = createCounters();
    from([...live, rd('s', copies[0].ts, { a: -1, b: 0 }, end + 50)]).pipe(windowBySensor(card, { counters: other })).subscribe();
    expect(other).toMatchObject({ duplicates: 0, outOfOrder: 1 });
  });

  it('forgets readings that arrived more than the horizon before the newest: a copy of one counts out_of_order', () => {
    const counters = createCounters();
    const live = stream('s', 5000, 3);
    const end = live[live.length - 1].receivedAt;
    feed([...live, ...redelivered([live[0], live[live.length - 1]], end + 1)], { counters, duplicateHorizonMs: 1000 });
    expect(counters).toMatchObject({ duplicates: 1, outOfOrder: 1, duplicateMemoryShed: 0 });
    // 1 s at 5,000/s is 5,001 readings, in a ring grown by doubling to 8,192 slots.
    expect(counters.duplicateMemoryReadings).toBe(8192);
  });

  it('keeps a slow sensor\'s last duplicateHorizonReadings whatever their age', () => {
    const counters = createCounters();
    // One reading a minute for an hour: a copy from 30 min back is 30 readings back.
    const slow = Array.from({ length: 60 }, (_, i) => rd('s', 60_000 * i, { a: i, b: 0 }));
    feed([...slow, ...redelivered([slow[30], slow[59]], 3_600_000)], { counters });
    expect(counters).toMatchObject({ duplicates: 2, outOfOrder: 0, duplicateMemoryShed: 0 });
    const one = createCounters();
    feed([...slow, ...redelivered([slow[30], slow[58]], 3_600_000)], { counters: one, duplicateHorizonReadings: 1 });
    expect(one).toMatchObject({ duplicates: 0, outOfOrder: 2 });
  });

  it('sheds the oldest readings past the per-sensor bound, counted, and their copies count out_of_order', () => {
    const counters = createCounters();
    const live = stream('s', 5000, 1);
    from([...live, ...redelivered([live[3999], live[4000]], live[4999].receivedAt + 1)]).pipe(windowBySensor(card, { counters, duplicateMaxPerSensor: 1000 })).subscribe();
    expect(counters).toMatchObject({ duplicates: 1, outOfOrder: 1, duplicateMemoryShed: 4000 });
    expect(droppedByReason(counters)).toEqual({ out_of_order: 1 });
  });

  it('bounds the memory over all sensors, and an evicted sensor gives its share back', () => {
    const counters = createCounters();
    const a = stream('a', 1000, 1);
    const b = stream('b', 1000, 1, 2_000_000);
    const stop = feed([...a, ...b, ...redelivered([b[100], a[999]], 3_000_000)], { counters, duplicateMaxReadings: 1024 + 32 });
    // a grew to 1,024 slots; b got its first 32 and no more: it remembers its last 32 only.
    expect(counters.duplicateMemoryReadings).toBe(1024 + 32);
    expect(counters.duplicateMemoryShed).toBe(1000 - 32);
    expect(counters).toMatchObject({ duplicates: 1, outOfOrder: 1 });
    stop();
    expect(counters.duplicateMemoryReadings).toBe(0);

    const evicting = createCounters();
    const stopEvicting = feed([...a, ...b], { counters: evicting, maxSensors: 1, duplicateMaxReadings: 1024 + 32 });
    // b evicted a (maxSensors 1) and took its memory: nothing shed.
    expect(evicting).toMatchObject({ evictedFull: 1, duplicateMemoryShed: 0, duplicateMemoryReadings: 1024 });
    stopEvicting();
    expect(evicting.duplicateMemoryReadings).toBe(0);
  });

  it('RecentReadings: binary search over a wrapped ring; a clock step back forgets nothing', () => {
    const tally = { duplicateMemoryReadings: 0, duplicateMemoryShed: 0 };
    const r = new RecentReadings(10, 1, 8, new SharedBudget(100, tally));
    for (let t = 0; t < 20; t++) r.add(t, t * 3, t);
    // Horizon 10 keeps the last 10 or 11, but 8 per sensor: 12..19; every add from t = 8 on shed one.
    expect(r.size).toBe(8);
    expect(tally.duplicateMemoryShed).toBe(12);
    for (let t = 12; t < 20; t++) expect(r.has(t, t * 3)).toBe(true);
    expect(r.has(11, 33)).toBe(false);
    expect(r.has(15, 44)).toBe(false);
    expect(r.has(15.5, 0)).toBe(false);
    expect(r.has(25, 75)).toBe(false);
    r.release();
    expect(tally.duplicateMemoryReadings).toBe(0);
    expect(r.has(19, 57)).toBe(false);

    const wall = new RecentReadings(1000, 1, 100, new SharedBudget(100, tally));
    const now = 1_764_800_000_000; // past 2^32 ms: arrivals are kept modulo 2^32
    for (let i = 0; i < 10; i++) wall.add(i, i, now + i);
    wall.add(10, 10, now - 3_600_000);
    expect(wall.size).toBe(11);
    wall.add(11, 11, now + 1500);
    expect(wall.size).toBe(1);
  });
});
