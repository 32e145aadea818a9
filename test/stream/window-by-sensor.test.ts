import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCounters, droppedByReason } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { DataGap } from '../../runtime/stream/data-gaps.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { newScheduler, rd } from './helpers.ts';

const { card } = tinyModel({ window: 3, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
const f32 = (...v: number[]) => Float32Array.from(v);
const win = (sensor: string, tsFirst: number, tsLast: number, seq: number, data: Float32Array, extra: object = {}) => ({
  sensor, tsFirst, tsLast, seq, data, receivedAt: tsLast, scaler: card.scaler, ...extra,
});

describe('windowBySensor', () => {
  it('emits scaled time-major windows once full, channels mapped by name', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('abcd|', {
        a: rd('s', 1000, { a: 1, b: 0 }),
        b: rd('s', 2000, { b: 1, a: 3, extra: 9 }),
        c: rd('s', 3000, { a: 5, b: 2 }),
        d: rd('s', 4000, { a: 7, b: 3 }),
      });
      expectObservable(src.pipe(windowBySensor(card))).toBe('--xy|', {
        x: win('s', 1000, 3000, 2, f32(0, 0, 1, 1, 2, 2)),
        y: win('s', 2000, 4000, 3, f32(1, 1, 2, 2, 3, 3)),
      });
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });

  it('keeps sensors apart', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('abcdef|', {
        a: rd('p', 1, { a: 1, b: 0 }), b: rd('q', 1, { a: 1, b: 5 }), c: rd('p', 2, { a: 1, b: 0 }),
        d: rd('q', 2, { a: 1, b: 5 }), e: rd('p', 3, { a: 1, b: 0 }), f: rd('q', 3, { a: 1, b: 5 }),
      });
      expectObservable(src.pipe(windowBySensor(card))).toBe('----xy|', {
        x: win('p', 1, 3, 2, f32(0, 0, 0, 0, 0, 0)),
        y: win('q', 1, 3, 2, f32(0, 5, 0, 5, 0, 5)),
      });
    });
  });

  it('drops and counts timestamp conflicts, out-of-order and unusable readings without throwing', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const counters = createCounters();
      const src = cold('abcdefgh|', {
        a: rd('s', 1000, { a: 1, b: 0 }),
        b: rd('s', 1000, { a: 9, b: 9 }),
        c: rd('s', 500, { a: 9, b: 9 }),
        d: rd('s', Number.NaN, { a: 1, b: 1 }),
        e: rd('s', 1500, { other: 1 }),
        f: rd('s', 1600, { a: Number.NaN }),
        g: rd('s', 2000, { a: 3, b: 1 }),
        h: rd('s', 3000, { a: 5, b: 2 }),
      });
      expectObservable(src.pipe(windowBySensor(card, { counters }))).toBe('-------x|', { x: win('s', 1000, 3000, 2, f32(0, 0, 1, 1, 2, 2)) });
    });
    const counters = createCounters();
    const readings = [rd('s', 1000, { a: 1, b: 0 }), rd('s', 1000, { a: 9, b: 9 }), rd('s', 500, { a: 9, b: 9 }), rd('s', Number.NaN, { a: 1 }), rd('s', 1500, { other: 1 })];
    from(readings).pipe(windowBySensor(card, { counters })).subscribe();
    expect(counters).toMatchObject({ readings: 5, duplicates: 0, timestampConflicts: 1, outOfOrder: 1, unusable: 2, windows: 0 });
  });

  it('counts a repeat of an accepted reading (same timestamp and values) as a duplicate, not a drop, within duplicateHorizonMs', () => {
    const counters = createCounters();
    const drops: string[] = [];
    const readings = [
      rd('s', 1000, { a: 1, b: 0 }),
      rd('s', 2000, { a: 3, b: 1, other: 7 }),
      rd('s', 3000, { a: 5 }), // b forward-filled
      rd('s', 3000, { a: 5 }), // repeats the last: duplicate
      rd('s', 2000, { b: 1, a: 3, other: 8 }), // repeats an older one (key order and unknown keys do not matter): duplicate
      rd('s', 3000, { a: 5, b: 2 }), // last timestamp, other values (b was filled, now given): timestamp_conflict
      rd('s', 2000, { a: 4, b: 1 }), // older timestamp, other values: out_of_order
      rd('s', 1500, { a: 1, b: 0 }), // never accepted at this timestamp: out_of_order
      rd('s', 4000, { a: 7, b: 3 }),
      rd('s', 1000, { a: 1, b: 0 }), // accepted, but past a horizon of 2.5 s (arrival, here = timestamp): out_of_order
      rd('s', 2000, { a: 3, b: 1 }), // still within it: duplicate
    ];
    const out: unknown[] = [];
    from(readings).pipe(windowBySensor(card, { counters, duplicateHorizonMs: 2500, duplicateHorizonReadings: 1, onDrop: (reason) => drops.push(reason) })).subscribe((w) => out.push(w));
    expect(counters).toMatchObject({ readings: 11, duplicates: 3, timestampConflicts: 1, outOfOrder: 3, windows: 2 });
    expect(drops).toEqual(['timestamp_conflict', 'out_of_order', 'out_of_order', 'out_of_order']);
    expect(out).toHaveLength(2);
    expect(droppedByReason(counters)).toEqual({ timestamp_conflict: 1, out_of_order: 3 });
    expect(() => windowBySensor(card, { duplicateMaxPerSensor: 0 })).toThrow(/duplicateMaxPerSensor must be an integer >= 1/);
  });

  it('forward-fills a missing channel up to its max age, then marks windows incomplete (or skips them)', async () => {
    const readings = [
      rd('s', 1000, { a: 1, b: 0 }),
      rd('s', 2000, { a: 1 }), // b filled from 1000 (age 1000 <= 1500)
      rd('s', 3000, { a: 1 }), // b is 2000 old: held, row flagged stale
      rd('s', 4000, { a: 1, b: 4 }),
      rd('s', 5000, { a: 1, b: 5 }),
      rd('s', 6000, { a: 1, b: 6 }), // first window without the stale row
    ];
    const counters = createCounters();
    const out = await lastValueFrom(from(readings).pipe(windowBySensor(card, { maxFillAgeMs: 1500, counters }), toArray()));
    expect(out.map((w) => [w.seq, w.incomplete ?? false])).toEqual([[2, true], [3, true], [4, true], [5, false]]);
    expect(Array.from(out[0].data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(counters).toMatchObject({ filled: 1, windows: 4, incompleteWindows: 3 });

    const skipped = createCounters();
    const kept = await lastValueFrom(from(readings).pipe(windowBySensor(card, { maxFillAgeMs: 1500, skipIncomplete: true, counters: skipped }), toArray()));
    expect(kept.map((w) => w.seq)).toEqual([5]);
    expect(skipped).toMatchObject({ windows: 1, skippedIncomplete: 3 });
  });

  it('resets the window after a gap longer than the limit', async () => {
    const counters = createCounters();
    const ts = [1000, 2000, 3000, 10_000, 11_000, 12_000];
    const out = await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(card, { gapResetMs: 1500, counters }), toArray()));
    expect(out.map((w) => [w.tsFirst, w.tsLast])).toEqual([[1000, 3000], [10_000, 12_000]]);
    expect(counters.gapResets).toBe(1);
  });

  it('counts the readings a gap in the timestamps skipped at the card\'s interval, and restarts the window after a whole window of them', async () => {
    // Trained at 1 s, window 3: after 20 readings at 1 s (the sensor's pace is judged from its 16th step), a reading
    // late by a quarter interval is no gap; 2 s skips one, 4.1 s three; 5 s > 3 x 1 s restarts the window.
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const counters = createCounters();
    const gaps: DataGap[] = [];
    const lead = Array.from({ length: 20 }, (_, i) => -19_000 + 1000 * i);
    const ts = [...lead, 1000, 2000, 3250, 5250, 9350, 10_350, 11_350, 16_350, 17_350, 18_350];
    const out = await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters, onGap: (g) => gaps.push(g) }), toArray()));
    expect(gaps).toEqual([
      { sensor: 's', fromTs: 3250, toTs: 5250, missing: 1, intervalMs: 1000, reset: false },
      { sensor: 's', fromTs: 5250, toTs: 9350, missing: 3, intervalMs: 1000, reset: true },
      { sensor: 's', fromTs: 11_350, toTs: 16_350, missing: 4, intervalMs: 1000, reset: true },
    ]);
    expect(counters).toMatchObject({ readingGaps: 3, readingsMissing: 8, gapResets: 2 });
    // No window spans a reset gap: [1000..5250] and the one after it, then [9350..11350], then [16350..18350].
    expect(out.filter((w) => w.tsLast >= 3250).map((w) => [w.tsFirst, w.tsLast])).toEqual([[1000, 3250], [2000, 5250], [9350, 11_350], [16_350, 18_350]]);

    // 'never' keeps windows across gaps (still counted); readingIntervalMs 0 counts none and resets none.
    const never = createCounters();
    const spanning = await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters: never, gapResetMs: 'never' }), toArray()));
    expect(spanning).toHaveLength(ts.length - 2);
    expect(never).toMatchObject({ readingGaps: 3, readingsMissing: 8, gapResets: 0 });
    const off = createCounters();
    await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters: off, readingIntervalMs: 0 }), toArray()));
    expect(off).toMatchObject({ readingGaps: 0, readingsMissing: 0, gapResets: 0 });
    // A card that does not know its interval: nothing counted, no window restarted (as before).
    const unknown = createCounters();
    await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(card, { counters: unknown }), toArray()));
    expect(unknown).toMatchObject({ readingGaps: 0, gapResets: 0 });
  });

  it("a sensor clearly slower than the card's interval is measured against its own pace; one reporting irregularly counts no gap", async () => {
    // Trained at 1 s, window 3. Found by a review: a sensor every 5 s counted every step as a gap and, past 3 x 1 s,
    // restarted its window at every reading (never judged).
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const run = async (ts: number[]) => {
      const counters = createCounters();
      const paces: [string, number, number, boolean][] = [];
      const out = await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters, onPace: (...p) => paces.push(p) }), toArray()));
      return { counters, paces, windows: out.length };
    };
    // Every 5 s, then one reading lost: judged throughout (the first steps' restarts aside), the loss counted at its pace.
    const slow = Array.from({ length: 40 }, (_, i) => 5000 * i);
    slow.push(slow[slow.length - 1] + 10_000);
    const s = await run(slow);
    expect(s.counters).toMatchObject({ readingGaps: 1, readingsMissing: 1 });
    expect(s.windows).toBeGreaterThan(slow.length - 3 - 16);
    expect(s.paces).toEqual([['s', expect.any(Number), 1000, false]]);
    expect(s.paces[0][1]).toBeGreaterThan(4500);
    expect(s.paces[0][1]).toBeLessThan(5500);
    // 10 Hz with a 5 s hole: measured against the card's 1 s (a faster pace is not trusted for gaps: bursts and
    // per-channel messages look alike), 4 missing and the window restarted (5 s > 3 x 1 s).
    const fast = Array.from({ length: 100 }, (_, i) => 100 * i);
    for (let i = 0; i < 50; i++) fast.push(9900 + 5000 + 100 * i);
    const f = await run(fast);
    expect(f.counters).toMatchObject({ readingGaps: 1, readingsMissing: 4, gapResets: 1 });
    // Its pace is said, as faster (test/stream/data-gaps.test.ts has the rest of that check).
    expect(f.paces).toEqual([['s', expect.any(Number), 1000, false]]);
    expect(f.paces[0][1]).toBeLessThan(200);
    // Found by a second review, each left without a judged window by a pace dragged down by short steps: a first
    // step of 1 ms, pairs 1 ms apart every second, a backlog of 300 readings arriving in one millisecond.
    const judged = async (ts: number[]) => (await run(ts)).windows;
    const pairs = Array.from({ length: 200 }, (_, i) => 1000 * Math.floor(i / 2) + (i % 2));
    expect(await judged(pairs)).toBe(pairs.length - 2);
    const firstTie = [0, 1, ...Array.from({ length: 100 }, (_, i) => 1001 + 1000 * i)];
    expect(await judged(firstTie)).toBeGreaterThan(90);
    const backlog = [...Array.from({ length: 50 }, (_, i) => 1000 * i), ...Array.from({ length: 300 }, (_, i) => 350_000 + i * 0.001), ...Array.from({ length: 50 }, (_, i) => 351_000 + 1000 * i)];
    const b = await run(backlog);
    expect(b.windows).toBeGreaterThan(backlog.length - 3 - 10);
    expect(b.counters.readingsMissing).toBeLessThan(400);
    // Report by exception (steps from 1 s to a minute): no gap counted, said once as irregular.
    const steps = [1, 1, 30, 2, 1, 60, 1, 5, 1, 1, 45, 1, 2, 20, 1, 1, 50, 1, 3, 1, 40, 1, 1];
    const rbe = steps.reduce<number[]>((t, d) => [...t, t[t.length - 1] + d * 1000], [0]);
    const e = await run(rbe);
    expect(e.counters).toMatchObject({ readingGaps: 0, readingsMissing: 0 });
    expect(e.paces).toEqual([['s', expect.any(Number), 1000, true]]);
    // At the card's pace with jitter (0.8-1.2 s): nothing said, a lost reading counted exactly.
    const jitter = Array.from({ length: 60 }, (_, i) => 1000 * i + (i % 5) * 100 - 200);
    jitter.push(jitter[jitter.length - 1] + 3000);
    const j = await run(jitter);
    expect(j.paces).toEqual([]);
    expect(j.counters).toMatchObject({ readingGaps: 1, readingsMissing: 2 });
  });

  it("a restart's tail: the step over vigil's own downtime is no loss; the tail serves the sensor in whatever pool it lands; flags as they were", async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const seeds = () => [{ sensor: 's', ts: [1000, 2000], values: [[1, 0], [3, 1]], staleUpTo: 0, filledUpTo: -1, lastAt: [2000, 1000], lastSeen: Date.now() }];
    // 2.5 s after the tail (vigil was down 2.5 s): judged at once, no gap counted, no window restarted.
    const counters = createCounters();
    const win = await lastValueFrom(from([rd('s', 4500, { a: 5, b: 2 })]).pipe(windowBySensor(timed, { counters, tails: { seeds: seeds() } }), toArray()));
    expect(win.map((w) => [w.tsFirst, w.tsLast])).toEqual([[1000, 4500]]);
    expect(counters).toMatchObject({ readings: 1, readingGaps: 0, readingsMissing: 0, gapResets: 0, activeSensors: 1 });
    // Row 0 of the tail had a channel held past its max age: the window holding it is flagged incomplete, as before the stop.
    expect(win[0].incomplete).toBe(true);
    // b last carried at 1000: still missing past maxFillAgeMs at 61 s, though the tail's rows hold a value for it.
    const late = await lastValueFrom(from([rd('s', 2500, { a: 5 }), rd('s', 62_000, { a: 5 })]).pipe(windowBySensor(timed, { tails: { seeds: seeds() }, gapResetMs: 'never' }), toArray()));
    expect(late.map((w) => w.incomplete === true)).toEqual([true, true]);
    // Admission pools: tails carry no pool; the sensor's reading in its own pool takes the tail along (one sensor, judged at once).
    const pooled = createCounters();
    const reading = { ...rd('plant/s', 3000, { a: 5, b: 2 }), pool: 0 };
    const seed = { ...seeds()[0], sensor: 'plant/s' };
    const w2 = await lastValueFrom(from([reading]).pipe(windowBySensor(timed, { counters: pooled, admission: [{ prefix: 'plant/', maxSensors: 10 }], tails: { seeds: [seed] } }), toArray()));
    expect(w2).toHaveLength(1);
    expect(pooled.activeSensors).toBe(1);
  });

  it('bounds memory: least-recently-seen eviction at the sensor limit and idle eviction, both counted', async () => {
    const counters = createCounters();
    const readings = Array.from({ length: 5000 }, (_, i) => rd(`s${i}`, 1000, { a: 1, b: 1 }, i));
    await lastValueFrom(from(readings).pipe(windowBySensor(card, { maxSensors: 1000, idleEvictMs: 1e9, counters }), toArray()));
    expect(counters).toMatchObject({ activeSensors: 1000, sensorLimit: 0, evictedFull: 4000 });

    const idle = createCounters();
    const seq = [rd('old', 1, { a: 1, b: 1 }, 0), rd('x', 1, { a: 1, b: 1 }, 4000), rd('y', 1, { a: 1, b: 1 }, 6000), rd('old', 2, { a: 1, b: 1 }, 6001)];
    await lastValueFrom(from(seq).pipe(windowBySensor(card, { idleEvictMs: 5000, counters: idle }), toArray()));
    // 'old' is evicted at 6000 and starts afresh at 6001 (its earlier row is gone).
    expect(idle).toMatchObject({ evictedIdle: 1, activeSensors: 3 });
  });

  it('passes errors on and unsubscribes from the source on teardown', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const src = cold('a#', { a: rd('s', 1, { a: 1, b: 1 }) }, new Error('source broke'));
      expectObservable(src.pipe(windowBySensor(card))).toBe('-#', undefined, new Error('source broke'));
      const live = hot('-a-b-c-d', { a: rd('s', 1, { a: 1, b: 1 }), b: rd('s', 2, { a: 1, b: 1 }), c: rd('s', 3, { a: 1, b: 1 }), d: rd('s', 4, { a: 1, b: 1 }) });
      expectObservable(live.pipe(windowBySensor(card)), '^---!').toBe('----');
      expectSubscriptions(live.subscriptions).toBe('^---!');
    });
  });

  it('scales with the card in service when given a getter (hot reload), and says which scaler it used', async () => {
    let current = card;
    const next = { ...card, scaler: { kind: 'standard' as const, offset: [0, 0], scale: [1, 1] } };
    const readings = [1000, 2000, 3000, 4000].map((t) => rd('s', t, { a: 3, b: 2 }));
    const out: { data: number[]; scaler: unknown }[] = [];
    const sub = from(readings).pipe(windowBySensor(() => current)).subscribe((w) => {
      out.push({ data: Array.from(w.data), scaler: w.scaler });
      current = next; // swapped after the first window
    });
    sub.unsubscribe();
    expect(out).toEqual([
      { data: [1, 2, 1, 2, 1, 2], scaler: card.scaler },
      { data: [3, 2, 3, 2, 3, 2], scaler: next.scaler },
    ]);
  });

  it('rejects bad options with what was expected', () => {
    expect(() => windowBySensor(card, { maxSensors: 0 })).toThrow(/maxSensors must be an integer >= 1/);
    expect(() => windowBySensor(card, { gapResetMs: -1 })).toThrow(/gapResetMs must be a number >= 0 or 'never'/);
    expect(() => windowBySensor(card, { readingIntervalMs: -1 })).toThrow(/readingIntervalMs must be a number >= 0/);
  });
});

describe('windowBySensor: what the stuck-sensor check may judge', () => {
  const marks = async (readings: ReturnType<typeof rd>[]) =>
    (await lastValueFrom(from(readings).pipe(windowBySensor(card), toArray()))).map((w) => w.filled === true);

  it('marks a window holding a forward-filled row, a row with a channel never seen, or a reading filled upstream', async () => {
    // Row 2 lacks b (forward-filled): the windows holding row 2 are marked, the next one is not.
    expect(await marks([rd('s', 1, { a: 1, b: 0 }), rd('s', 2, { a: 2, b: 1 }), rd('s', 3, { a: 3 }), rd('s', 4, { a: 4, b: 2 }), rd('s', 5, { a: 5, b: 3 }), rd('s', 6, { a: 6, b: 4 })]))
      .toEqual([true, true, true, false]);
    // b never sent at all: held at the training mean, every window marked (never judged stuck).
    expect(await marks([rd('s', 1, { a: 1 }), rd('s', 2, { a: 2 }), rd('s', 3, { a: 3 }), rd('s', 4, { a: 4 })])).toEqual([true, true]);
    // Complete readings: nothing marked; a reading a CSV reader filled (--fill): marked.
    expect(await marks([rd('s', 1, { a: 1, b: 0 }), rd('s', 2, { a: 2, b: 1 }), rd('s', 3, { a: 3, b: 2 })])).toEqual([false]);
    expect(await marks([rd('s', 1, { a: 1, b: 0 }), { ...rd('s', 2, { a: 2, b: 1 }), filled: true as const }, rd('s', 3, { a: 3, b: 2 })])).toEqual([true]);
  });
});
