/**
 * reorderBySensor: readings a broker redelivers after newer ones are put back in timestamp order before
 * windowing (issue 14, broker kill -9 in bench/burst.ts), held at most reorderMs, bounded by count, never dropped.
 */
import { describe, expect, it } from 'vitest';
import { throwError } from 'rxjs';
import { createCounters } from '../../runtime/stream/counters.ts';
import { reorderBySensor, type ReorderControl } from '../../runtime/stream/reorder-by-sensor.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { Reading, SensorWindow } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { newScheduler, rd } from './helpers.ts';

const r = (ts: number, sensor = 's'): Reading => rd(sensor, ts, { v: ts });

describe('reorderBySensor', () => {
  it('holds every reading reorderMs with reorderAlways and releases each sensor in timestamp order', () => {
    const counters = createCounters();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: r(1), b: r(2), c: r(3) };
      const src = cold('acb 10ms |', v);
      // a is due at 5; c is due at 6 and takes b (stamped before it, arrived after it) with it.
      expectObservable(src.pipe(reorderBySensor({ reorderMs: 5, reorderAlways: true, counters }))).toBe('5ms a (bc) 3ms |', v);
      expectSubscriptions(src.subscriptions).toBe('^ 12ms !');
    });
    expect(counters).toMatchObject({ reordered: 1, reorderHeld: 0 });
  });

  it("a clock the window stage stepped back starts the sensor's order afresh (a review: its new readings passed as too late, unordered)", () => {
    const run = (reset: boolean) => {
      const out: number[] = [];
      const control: ReorderControl = {};
      newScheduler().run(({ cold }) => {
        const v = { a: r(100), b: r(101), c: r(50), e: r(52), d: r(51) };
        cold('ab 5ms ced 10ms |', v)
          .pipe(reorderBySensor({ reorderMs: 3, reorderAlways: true, control }))
          .subscribe((x) => {
            out.push(x.ts);
            // As the window stage would, on the first reading of the new clock confirmed behind the old one.
            if (reset && x.ts === 101) control.resetClock?.('s');
          });
      });
      return out;
    };
    expect(run(true)).toEqual([100, 101, 50, 51, 52]);
    expect(run(false)).toEqual([100, 101, 50, 52, 51]);
  });

  it('passes in-order readings at once by default, holds only after disorder, and stops holding reorderArmMs after the last', () => {
    const counters = createCounters();
    newScheduler().run(({ cold, expectObservable }) => {
      const v = { a: r(1), c: r(3), b: r(2), d: r(5), f: r(7), e: r(6), g: r(8), h: r(9) };
      const src = cold('acbdfe 20ms gh|', v);
      // b is older than c, which already left: too late, passed on at once (the window stage drops it), and it
      // arms the sensor; d, f, e are held 3 ms: d leaves at 6, f at 7 with e (stamped before it) first.
      // e's disorder re-arms until 5 + 10; g comes at 26, later: no hold.
      expectObservable(src.pipe(reorderBySensor({ reorderMs: 3, reorderArmMs: 10, counters }))).toBe('acb 3ms d (ef) 15ms gh|', v);
    });
    expect(counters).toMatchObject({ reordered: 1, reorderHeld: 0 });
  });

  it('keeps the readings a broker redelivers after newer ones: every distinct reading windowed, repeats counted as duplicates', () => {
    const { card } = tinyModel({ window: 2, channels: ['v'] });
    // 1..30 in order; then, as after a broker restart, copies of 25..30 it had not known were delivered, 36..40,
    // and 31..35 (the publisher's in-flight ones) after them; then 41..60. One reading per ms.
    const order = [...range(1, 30), ...range(25, 30), ...range(36, 40), ...range(31, 35), ...range(41, 60)];
    const run = (reorderMs: number) => {
      const counters = createCounters();
      const out: SensorWindow[] = [];
      newScheduler().run(({ cold }) => {
        const keys = order.map((_, i) => String.fromCharCode(0x100 + i));
        const src = cold(`${keys.join('')}|`, Object.fromEntries(order.map((ts, i) => [keys[i], r(ts)])));
        src.pipe(reorderBySensor({ reorderMs, counters }), windowBySensor(card, { counters })).subscribe((w) => out.push(w));
      });
      return { counters, tsLast: out.map((w) => w.tsLast) };
    };
    const before = run(0);
    // Without the stage 31..35 come after 40: dropped as out_of_order; the copies of 25..30 are duplicates.
    expect(before.counters).toMatchObject({ outOfOrder: 5, duplicates: 6, timestampConflicts: 0 });
    expect(before.tsLast).toHaveLength(54);
    const after = run(10);
    // 25..30 repeat readings already windowed before the disorder was seen: duplicates, no drop.
    expect(after.counters).toMatchObject({ outOfOrder: 0, duplicates: 6, timestampConflicts: 0, reordered: 5, windows: 59 });
    expect(after.tsLast).toEqual(range(2, 60));
  });

  it('bounds what it holds per sensor and in all by releasing the reading due soonest early', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const v = { a: r(1), b: r(2), c: r(3) };
      // A third held reading passes reorderMaxPerSensor 2: the oldest leaves at once.
      expectObservable(cold('abc 200ms |', v).pipe(reorderBySensor({ reorderMs: 100, reorderAlways: true, reorderMaxPerSensor: 2 }))).toBe('2ms a 98ms bc 100ms |', v);
      const w = { p: r(1, 'p'), q: r(1, 'q'), P: r(2, 'p'), Q: r(2, 'q') };
      // A fourth held reading passes reorderMaxReadings 3: the first to arrive (p1) leaves at once.
      expectObservable(cold('pqPQ 200ms |', w).pipe(reorderBySensor({ reorderMs: 100, reorderAlways: true, reorderMaxReadings: 3 }))).toBe('3ms p 97ms qPQ 100ms |', w);
      // A moving bound (the live runtime's: what a stop could still score), read at each hold: 2 here.
      expectObservable(cold('pqPQ 200ms |', w).pipe(reorderBySensor({ reorderMs: 100, reorderAlways: true, maxHeld: () => 2 }))).toBe('2ms pq 98ms PQ 100ms |', w);
    });
  });

  it('tracks disorder for at most maxSensors sensors (a forgotten one holds nothing)', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const v = { a: r(1, 'p'), c: r(3, 'p'), b: r(2, 'p'), q: r(1, 'q'), e: r(5, 'p') };
      // b arms p; q makes room by forgetting p (it holds nothing), so e passes at once instead of being held.
      expectObservable(cold('acbqe|', v).pipe(reorderBySensor({ reorderMs: 100, maxSensors: 1 }))).toBe('acbqe|', v);
      expectObservable(cold('acbqe 200ms |', v).pipe(reorderBySensor({ reorderMs: 100, maxSensors: 2 }))).toBe('acbq 100ms e 100ms |', v);
    });
  });

  it('never holds arrival-stamped readings; what their sensor held leaves before them', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const v = { p: r(5), a: { ...r(3), arrival: true as const }, q: r(9, 'q') };
      expectObservable(cold('pqa 10ms |', v).pipe(reorderBySensor({ reorderMs: 5, reorderAlways: true }))).toBe('2ms (pa) q 6ms |', v);
    });
  });

  it('releases what it holds before an error or the end, and nothing after an unsubscribe', () => {
    const counters = createCounters();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = { a: r(2), b: r(1) };
      const opts = { reorderMs: 50, reorderAlways: true, counters };
      expectObservable(cold('ab#', v).pipe(reorderBySensor(opts))).toBe('--(ba#)', v);
      expectObservable(cold('ab|', v).pipe(reorderBySensor(opts))).toBe('--(ba|)', v);
      const held = cold('ab 100ms |', v);
      expectObservable(held.pipe(reorderBySensor(opts)), '^--!').toBe('', v);
      expectSubscriptions(held.subscriptions).toBe('^--!');
      expectObservable(throwError(() => new Error('x')).pipe(reorderBySensor(opts))).toBe('#', undefined, new Error('x'));
    });
    expect(counters.reorderHeld).toBe(0);
  });

  it('is the identity with reorderMs 0 and refuses bad options', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const v = { a: r(2), b: r(1) };
      expectObservable(cold('ab|', v).pipe(reorderBySensor({ reorderMs: 0 }))).toBe('ab|', v);
    });
    expect(() => reorderBySensor({ reorderMs: -1 })).toThrow(/reorderMs must be a finite number >= 0/);
    expect(() => reorderBySensor({ reorderMaxPerSensor: 0 })).toThrow(/reorderMaxPerSensor must be an integer >= 1/);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
