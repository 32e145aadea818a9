/**
 * What the window stage's gap judge (runtime/stream/data-gaps.ts) adds beyond gaps and a slower pace (those are in
 * window-by-sensor.test.ts): readings vigil refused itself explain the gap they leave, a reading that comes late into
 * a gap counted missing is not counted again, a sensor reporting much faster than the model's interval is said, and
 * one reading stamped far ahead of its arrival does not blind its sensor.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, Observable, toArray } from 'rxjs';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { reorderBySensor } from '../../runtime/stream/reorder-by-sensor.ts';
import { clockAheadMs } from '../../runtime/stream/sensor-clocks.ts';
import { RefusedReadings, type DataGap } from '../../runtime/stream/data-gaps.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card } = tinyModel({ window: 3, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });

describe('data gaps', () => {
  it('a gap left by readings vigil refused itself is not counted as lost upstream (a probe: "Bad" values blamed on the broker)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const counters = createCounters();
    const gaps: DataGap[] = [];
    const refused = new RefusedReadings();
    // 30 readings at 1 s; the decoder refuses the ones at 20, 21 and 22 s (told before the reading at 23 s), and 26 s is
    // lost upstream: only that one counts. A refusal with no gap after it (a bad duplicate) is forgotten at the next step.
    const readings = Array.from({ length: 30 }, (_, i) => i).filter((i) => ![20, 21, 22, 26].includes(i));
    const src = new Observable<ReturnType<typeof rd>>((sub) => {
      for (const i of readings) {
        if (i === 23) for (let k = 0; k < 3; k++) refused.add('s');
        if (i === 10) refused.add('s');
        sub.next(rd('s', 1000 * i, { a: 1, b: 0 }));
      }
      sub.complete();
    });
    await lastValueFrom(src.pipe(windowBySensor(timed, { counters, refused, onGap: (g) => gaps.push(g) }), toArray()));
    expect(gaps).toEqual([{ sensor: 's', fromTs: 25_000, toTs: 27_000, missing: 1, intervalMs: 1000, reset: false }]);
    expect(counters).toMatchObject({ readingGaps: 1, readingsMissing: 1 });
    // Without the refusals told, the same stream counts all four.
    const blind = createCounters();
    await lastValueFrom(from(readings.map((i) => rd('s', 1000 * i, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters: blind }), toArray()));
    expect(blind).toMatchObject({ readingGaps: 2, readingsMissing: 4 });
  });

  it("a restart's tail teaches the sensor's pace: readings lost just after a restart are counted (a probe: a broker's queue overflow during a restart under load went uncounted)", async () => {
    const { card: w20 } = tinyModel({ window: 20, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
    const timed = { ...w20, data: { ...w20.data!, intervalMs: 1000 } };
    const T = 1_700_000_000_000;
    const tailTs = Array.from({ length: 19 }, (_, i) => T + 1000 * i);
    const tails = { seeds: [{ sensor: 's', ts: tailTs, values: tailTs.map(() => [1, 0]), staleUpTo: -1, filledUpTo: -1, lastAt: [tailTs[18], tailTs[18]], lastSeen: tailTs[18] }] };
    // Live after the restart: 19-23 s, then 24-38 s lost upstream, then 39-45 s.
    const live = [...Array.from({ length: 5 }, (_, i) => 19 + i), ...Array.from({ length: 7 }, (_, i) => 39 + i)];
    const counters = createCounters();
    const gaps: DataGap[] = [];
    await lastValueFrom(from(live.map((i) => rd('s', T + 1000 * i, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters, tails, onGap: (g) => gaps.push(g) }), toArray()));
    expect(gaps).toEqual([{ sensor: 's', fromTs: T + 23_000, toTs: T + 39_000, missing: 15, intervalMs: 1000, reset: false }]);
    expect(counters).toMatchObject({ readingGaps: 1, readingsMissing: 15 });
    // A sensor much slower than the model's interval (a reading every 30 s, longer than its window of 20 s at 1 s): its
    // tail, replayed, does not restart its window at each step before its pace is known (a tail holds only rows since
    // the window last restarted), so its first live reading is judged at once.
    const slowTs = Array.from({ length: 19 }, (_, i) => T + 30_000 * i);
    const slow = { seeds: [{ sensor: 's', ts: slowTs, values: slowTs.map(() => [1, 0]), staleUpTo: -1, filledUpTo: -1, lastAt: [slowTs[18], slowTs[18]], lastSeen: slowTs[18] }] };
    const out = await lastValueFrom(from([rd('s', T + 570_000, { a: 1, b: 0 })]).pipe(windowBySensor(timed, { counters: createCounters(), tails: slow }), toArray()));
    expect(out.map((w) => w.tsLast)).toEqual([T + 570_000]);
  });

  it('a reading that comes into a gap after it was counted missing is counted once, there, not again as out of order (its block-mates let go before it by a reorder bound)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const run = async (arrivals: number[], values = (_i: number) => ({ a: 1, b: 0 })) => {
      const counters = createCounters();
      const gaps: DataGap[] = [];
      const dropped: string[] = [];
      await lastValueFrom(
        from(arrivals.map((i) => rd('s', 1000 * i, values(i)))).pipe(
          // Every reading held, at most 2: a third lets the one stamped first go early.
          reorderBySensor({ reorderMs: 60_000, reorderAlways: true, reorderMaxPerSensor: 2, counters }),
          windowBySensor(timed, { counters, onGap: (g) => gaps.push(g), onDrop: (reason) => dropped.push(reason) }),
          toArray(),
        ),
      );
      return { counters, gaps, dropped };
    };
    // 30 s in order, then 32, 31, 33 before 30: 31 goes early (33 is a third held), the step 29 -> 31 counts 30
    // missing, and 30 comes after: one of those, not out of order too (it was: 1 missing + 1 out of order).
    const inOrder = Array.from({ length: 30 }, (_, i) => i);
    const late = await run([...inOrder, 32, 31, 33, 30, 34, 35]);
    expect(late.gaps).toEqual([{ sensor: 's', fromTs: 29_000, toTs: 31_000, missing: 1, intervalMs: 1000, reset: false }]);
    expect(late.counters).toMatchObject({ readingsMissing: 1, readingsLate: 1, outOfOrder: 0, duplicates: 0 });
    expect(late.dropped).toEqual([]);
    // A second reading stamped in the gap (other values) is not one it counted: out of order, as before.
    const twice = await run([...inOrder, 32, 31, 33, 30, 30.5, 34], (i) => ({ a: i === 30.5 ? 2 : 1, b: 0 }));
    expect(twice.counters).toMatchObject({ readingsMissing: 1, readingsLate: 1, outOfOrder: 1 });
    expect(twice.dropped).toEqual(['out_of_order']);
    // A copy of a late reading (a QoS 1 redelivery) is a duplicate: it takes none of the gap's places (a review: the
    // copy took one, and the gap's last reading was then refused as out of order).
    const copied = await run([...inOrder, 33, 34, 35, 30, 30, 31, 32, 36]);
    expect(copied.gaps).toMatchObject([{ fromTs: 29_000, toTs: 33_000, missing: 3 }]);
    expect(copied.counters).toMatchObject({ readingsMissing: 3, readingsLate: 3, outOfOrder: 0, duplicates: 1 });
    expect(copied.dropped).toEqual([]);
  });

  it('a gap whose readings have all come is the first forgotten when more gaps come, not an older one still waiting (a review)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const counters = createCounters();
    const dropped: string[] = [];
    // 8 gaps (30, 32, ..., 44 missing), the second filled late, a ninth gap, then the first one's reading, late.
    const seconds = [...Array.from({ length: 30 }, (_, i) => i), 31, 33, 35, 37, 39, 41, 43, 45, 32, 47, 30];
    await lastValueFrom(from(seconds.map((i) => rd('s', 1000 * i, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters, onDrop: (reason) => dropped.push(reason) }), toArray()));
    expect(counters).toMatchObject({ readingGaps: 9, readingsMissing: 9, readingsLate: 2, outOfOrder: 0 });
    expect(dropped).toEqual([]);
  });

  it('a clock set back for good is followed after a window of its readings, not refused until real time passes (a field probe: 10 minutes blind for a 10-minute correction)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const T = 1_700_000_000_000;
    const run = async (readings: ReturnType<typeof rd>[]) => {
      const counters = createCounters();
      const steps: unknown[] = [];
      const windows = await lastValueFrom(from(readings).pipe(windowBySensor(timed, { counters, onClockStep: (...c) => steps.push(c) }), toArray()));
      return { counters, steps, ends: windows.map((w) => w.tsLast) };
    };
    // 20 readings on time, then every reading stamped 10 minutes earlier than it arrives, a second apart.
    const at = (i: number, back = 0) => rd('s', T + 1000 * i - back, { a: 1, b: 0 }, T + 1000 * i + 20);
    const back = await run([...Array.from({ length: 20 }, (_, i) => at(i)), ...Array.from({ length: 10 }, (_, i) => at(20 + i, 600_000))]);
    // The first two refused; the third (window 3) confirms the new clock and starts the sensor afresh, the two refused
    // filling its window (a review: an empty one cost another window of readings): judged from the third on.
    expect(back.counters).toMatchObject({ clockSteps: 1, outOfOrder: 2 });
    expect(back.steps).toEqual([['s', T + 19_000, T + 22_000 - 600_000]]);
    expect(back.ends.filter((t) => t < T)).toEqual(Array.from({ length: 8 }, (_, i) => T + 1000 * (22 + i) - 600_000));
    // A backlog resent at once (its stamps a second apart, arriving together) is refused whole, never taken for a clock.
    const burst = Array.from({ length: 10 }, (_, i) => rd('s', T - 600_000 + 1000 * i, { a: 2, b: 0 }, T + 20_500));
    const resent = await run([...Array.from({ length: 20 }, (_, i) => at(i)), ...burst]);
    expect(resent.counters).toMatchObject({ clockSteps: 0, outOfOrder: 10 });
    // Readings behind interleaved with ones on time: refused one by one, no run of them.
    const mixed = await run([...Array.from({ length: 20 }, (_, i) => at(i)), ...Array.from({ length: 10 }, (_, i) => [at(20 + i, 600_000), at(20 + i)]).flat()]);
    expect(mixed.counters).toMatchObject({ clockSteps: 0, outOfOrder: 10 });
    // A backlog resent at twice the pace it was measured (a review: taken for a clock, scored, and the live data after
    // it counted as 560 readings missing): refused whole.
    const twice = await run([...Array.from({ length: 20 }, (_, i) => at(i)), ...Array.from({ length: 40 }, (_, i) => rd('s', T - 600_000 + 1000 * i, { a: 2, b: 0 }, T + 20_000 + 500 * i))]);
    expect(twice.counters).toMatchObject({ clockSteps: 0, outOfOrder: 40 });
  });

  it('a clock set back for good is followed for a sender that publishes in batches too (a review: a run broke inside every batch)', async () => {
    const { card: w20 } = tinyModel({ window: 20, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
    const timed = { ...w20, data: { ...w20.data!, intervalMs: 1000 } };
    const T = 1_700_000_000_000;
    const counters = createCounters();
    const steps: unknown[] = [];
    // Readings a second apart, sent 5 at a time every 5 s; from reading 30 on stamped 10 minutes early.
    const batched = (i: number) => rd('s', T + 1000 * i - (i >= 30 ? 600_000 : 0), { a: 1, b: 0 }, T + 5000 * Math.floor(i / 5) + 5000);
    await lastValueFrom(from(Array.from({ length: 90 }, (_, i) => batched(i))).pipe(windowBySensor(timed, { counters, onClockStep: (...c) => steps.push(c) }), toArray()));
    expect(counters.clockSteps).toBe(1);
    expect(counters.outOfOrder).toBeLessThan(40);
    // A minute's readings sent once a minute against a window of 32 (a review: never followed; a run judged a window at
    // a time never came to its pace): followed within a batch or so, its window filled by the run.
    const { card: w32 } = tinyModel({ window: 32, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
    const minutely = createCounters();
    const ends: number[] = [];
    const perMinute = (i: number) => rd('s', T + 1000 * i - (i >= 100 ? 600_000 : 0), { a: 1, b: 0 }, T + 60_000 * Math.floor(i / 60) + 60_000);
    await lastValueFrom(from(Array.from({ length: 500 }, (_, i) => perMinute(i))).pipe(windowBySensor({ ...w32, data: { ...w32.data!, intervalMs: 1000 } }, { counters: minutely }), toArray())).then((ws) => ws.forEach((w) => ends.push(w.tsLast)));
    expect(minutely.clockSteps).toBe(1);
    expect(minutely.outOfOrder).toBeLessThanOrEqual(60);
    // Judged from the confirming reading on, every reading after it ends a window.
    const after = ends.filter((t) => t < T);
    expect(after).toHaveLength(500 - 100 - minutely.outOfOrder);
  });

  it('a clock set back costs no more than a window of readings, never more than waiting would (a review: an empty window after the step cost 2W - 2)', async () => {
    const { card: w32 } = tinyModel({ window: 32, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
    const timed = { ...w32, data: { ...w32.data!, intervalMs: 1000 } };
    const T = 1_700_000_000_000;
    const run = async (backMs: number) => {
      const counters = createCounters();
      const at = (i: number) => rd('s', T + 1000 * i - (i >= 60 ? backMs : 0), { a: 1, b: i >= 60 ? 1 : 0 }, T + 1000 * i + 20);
      const ws = await lastValueFrom(from(Array.from({ length: 200 }, (_, i) => at(i))).pipe(windowBySensor(timed, { counters }), toArray()));
      // Readings after the set-back (the last 140) that ended no window; the first 60 ended 29 (window 32).
      return { counters, blind: 140 - (ws.length - 29) };
    };
    // 75 s back with a window of 32: confirmed at the 32nd reading behind, whose window the run fills: 31 unjudged
    // (waiting for real time: 75; stepping into an empty window: 62).
    const mid = await run(75_000);
    expect(mid.counters.clockSteps).toBe(1);
    expect(mid.blind).toBe(31);
    // 20 s back: under a minute, no step; real time passes it after 20 readings, the window kept.
    const short = await run(20_000);
    expect(short.counters.clockSteps).toBe(0);
    expect(short.blind).toBe(20);
  });

  it('a sensor much faster than the model is said once per episode; pairs and arrival-stamped backlogs are not (an operator\'s probe: a flood at 1,000/s went unsaid)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const run = async (ts: number[]) => {
      const paces: [string, number, number, boolean][] = [];
      await lastValueFrom(from(ts.map((t) => rd('s', t, { a: 1, b: 0 }))).pipe(windowBySensor(timed, { counters: createCounters(), onPace: (...p) => paces.push(p) }), toArray()));
      return { paces };
    };
    // Pairs 1 ms apart every second say nothing (every other step is a second); a flood after a normal start is said
    // once, again only after it recovered.
    expect((await run(Array.from({ length: 200 }, (_, i) => 1000 * Math.floor(i / 2) + (i % 2)))).paces).toEqual([]);
    const flood: number[] = Array.from({ length: 50 }, (_, i) => 1000 * i);
    const at = (dt: number, n: number) => { for (let i = 0; i < n; i++) flood.push(flood[flood.length - 1] + dt); };
    at(1, 300);
    at(1000, 300);
    at(1, 300);
    const fl = await run(flood);
    expect(fl.paces.map((p) => p[1] < 10)).toEqual([true, true]);
    // Stamped on arrival (no ts in the payload), a backlog flushed at once is how fast it arrived: nothing said (a review).
    const told: unknown[] = [];
    const arrivals = flood.slice(0, 350).map((t) => ({ ...rd('s', t, { a: 1, b: 0 }), arrival: true as const }));
    await lastValueFrom(from(arrivals).pipe(windowBySensor(timed, { counters: createCounters(), onPace: (...p) => told.push(p) }), toArray()));
    expect(told).toEqual([]);
  });

  it('one reading stamped an hour ahead of its arrival does not blind its sensor for that hour (a probe: every later reading refused)', async () => {
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const T = 1_700_000_000_000;
    const run = async (readings: ReturnType<typeof rd>[]) => {
      const counters = createCounters();
      const steps: [string, number, number, boolean?][] = [];
      const gaps: DataGap[] = [];
      const windows = await lastValueFrom(from(readings).pipe(windowBySensor(timed, { counters, onGap: (g) => gaps.push(g), onClockStep: (...c) => steps.push(c) }), toArray()));
      return { counters, steps, gaps, ends: windows.map((w) => w.tsLast) };
    };
    // Readings every second, on time; the 21st is stamped an hour ahead (a GPS glitch), the rest are right again.
    const onTime = (i: number) => rd('s', T + 1000 * i, { a: 1, b: 0 }, T + 1000 * i + 30);
    const glitch = [...Array.from({ length: 20 }, (_, i) => onTime(i)), rd('s', T + 20_000 + 3_600_000, { a: 1, b: 0 }, T + 20_030), ...Array.from({ length: 20 }, (_, i) => onTime(21 + i))];
    const g = await run(glitch);
    expect(g.steps).toEqual([['s', T + 3_620_000, T + 21_000]]);
    expect(g.counters).toMatchObject({ clockSteps: 1, outOfOrder: 0, readingsMissing: 0 });
    // No window ends on the glitch; the sensor is judged again from its third reading after it (window 3).
    expect(g.ends).not.toContain(T + 3_620_000);
    expect(g.ends.filter((t) => t > T + 20_000)).toEqual(Array.from({ length: 18 }, (_, i) => T + 1000 * (23 + i)));
    expect(g.gaps).toEqual([]);
    // A sensor whose clock runs an hour ahead all the time is judged as any other: no steps, nothing refused.
    const early = await run(Array.from({ length: 40 }, (_, i) => rd('s', T + 3_600_000 + 1000 * i, { a: 1, b: 0 }, T + 1000 * i)));
    expect(early.counters).toMatchObject({ clockSteps: 0, outOfOrder: 0 });
    expect(early.ends).toHaveLength(38);
    // Nor is it said to have jumped: nothing was heard before it to be ahead of.
    expect(early.steps).toEqual([]);
    // Two readings an hour ahead before the clock is right again: the same. A window's worth of them (3) confirms
    // the new clock: the readings behind it are refused then, as after any clock set forward, until a window of them
    // in a row says the clock was set back for good (setBackFor): the sensor starts afresh from the third.
    const ahead2 = (n: number) => [...Array.from({ length: 20 }, (_, i) => onTime(i)), ...Array.from({ length: n }, (_, k) => rd('s', T + 1000 * (20 + k) + 3_600_000, { a: 1, b: 0 }, T + 1000 * (20 + k))), ...Array.from({ length: 10 }, (_, i) => onTime(20 + n + i))];
    expect((await run(ahead2(2))).counters).toMatchObject({ clockSteps: 1, outOfOrder: 0 });
    const confirmed = await run(ahead2(3));
    expect(confirmed.counters).toMatchObject({ clockSteps: 1, outOfOrder: 2 });
    // A clock set forward for good is said once a window confirms it (a probe: only vigil_gap_resets_total showed it).
    // By 1 h and 30 ms: the on-time readings arrived 30 ms after their stamps, the ahead ones on theirs.
    expect(confirmed.steps).toEqual([['s', T + 3_622_000 - 3_600_030, T + 3_622_000, true], ['s', T + 3_622_000, T + 25_000]]);
    expect(confirmed.ends.filter((t) => t < T + 3_600_000).slice(-6)).toEqual(Array.from({ length: 6 }, (_, i) => T + 1000 * (27 + i)));
    // Data replayed faster than real time runs ahead of its arrival a second per reading, never in one jump: a late
    // reading in it is refused as out of order, not taken for a clock step.
    const fast = Array.from({ length: 200 }, (_, i) => rd('s', T + 1000 * i, { a: 1, b: 0 }, T + i));
    const replayed = await run([...fast, rd('s', T + 150_000, { a: 2, b: 0 }, T + 200)]);
    expect(replayed.counters).toMatchObject({ clockSteps: 0, outOfOrder: 1 });
    // The glitch as the first reading after a restart: the same (the tail gives the lead before it).
    const tail = (ts: number[], lastSeen = T + 20_000) => ({ seeds: [{ sensor: 's', ts, values: ts.map(() => [1, 0]), staleUpTo: -1, filledUpTo: -1, lastAt: [ts[ts.length - 1], ts[ts.length - 1]], lastSeen }] });
    const afterRestart = async (readings: ReturnType<typeof rd>[], seeds = tail([T + 18_000, T + 19_000])) => {
      const counters = createCounters();
      const out = await lastValueFrom(from(readings).pipe(windowBySensor(timed, { counters, tails: seeds }), toArray()));
      return { ...counters, windows: out.length };
    };
    expect(await afterRestart([rd('s', T + 3_630_000, { a: 1, b: 0 }, T + 30_000), ...Array.from({ length: 10 }, (_, i) => onTime(31 + i))])).toMatchObject({ clockSteps: 1, outOfOrder: 0 });
    // A glitch that is a sensor's very first reading goes back to its arrival: the sensor is judged from the readings
    // after it, not refused until real time passes the glitch (an open item of an earlier probe).
    const firstGlitch = await run([rd('s', T + 3_600_000, { a: 1, b: 0 }, T), ...Array.from({ length: 10 }, (_, i) => onTime(1 + i))]);
    expect(firstGlitch.counters).toMatchObject({ clockSteps: 1, outOfOrder: 0 });
    expect(firstGlitch.ends).toEqual(Array.from({ length: 8 }, (_, i) => T + 1000 * (3 + i)));
    // A sensor 5 minutes ahead from its first reading, its live readings interleaved with a resent backlog from 10
    // minutes before: the backlog is refused as out of order, never taken for the right clock (a review: 10 steps).
    const aheadLive = (i: number) => rd('s', T + 300_000 + 1000 * i, { a: 1, b: 0 }, T + 1000 * i);
    const resentOld = (i: number) => rd('s', T - 600_000 + 1000 * i, { a: 2, b: 0 }, T + 1000 * i + 500);
    const mixed = await run(Array.from({ length: 20 }, (_, i) => (i < 10 ? [aheadLive(i), resentOld(i)] : [aheadLive(i)])).flat());
    expect(mixed.counters).toMatchObject({ clockSteps: 0, outOfOrder: 10, gapResets: 0 });
    expect(mixed.ends).toHaveLength(18);
    // A copy of the glitch redelivered after the step (QoS 1, a reconnect) is a duplicate: it does not jump the clock
    // ahead again and restart the window (an open item of an earlier probe: each copy cost a window of readings).
    const copy = rd('s', T + 20_000 + 3_600_000, { a: 1, b: 0 }, T + 25_500);
    const redelivered = await run([...glitch.slice(0, 26), copy, ...glitch.slice(26)]);
    expect(redelivered.counters).toMatchObject({ clockSteps: 1, duplicates: 1, outOfOrder: 0 });
    expect(redelivered.ends).toEqual(g.ends);
    // The same copy once the sensor's clock has passed the glitch is a duplicate too, not a reading out of order.
    const late = await run([...glitch, onTime(3630), rd('s', T + 3_620_000, { a: 1, b: 0 }, T + 3_630_100)]);
    expect(late.counters).toMatchObject({ clockSteps: 1, duplicates: 1, outOfOrder: 0 });
    // A clock 5 minutes ahead all the time, across a restart (a review: taken for a jump, it lost its restored window,
    // and a gateway resending its last minutes after the restart had them judged twice): no jump, no step.
    const ahead5 = (i: number, at = T + 1000 * i) => rd('s', T + 300_000 + 1000 * i, { a: 1, b: 0 }, at);
    const aheadTail = () => tail([T + 317_000, T + 318_000, T + 319_000], T + 19_000);
    const kept = await afterRestart(Array.from({ length: 5 }, (_, i) => ahead5(20 + i)), aheadTail());
    expect(kept).toMatchObject({ clockSteps: 0, gapResets: 0, windows: 5 });
    const resentAhead = await afterRestart(Array.from({ length: 10 }, (_, i) => ahead5(5 + i, T + 300_000)), aheadTail());
    expect(resentAhead).toMatchObject({ clockSteps: 0, outOfOrder: 10 });
    // A tail on time, and a gateway resending what came before it after the restart: refused as before.
    expect(await afterRestart(Array.from({ length: 5 }, (_, i) => rd('s', T + 10_000 + 1000 * i, { a: 1, b: 7 }, T + 30_000)))).toMatchObject({ clockSteps: 0, outOfOrder: 5 });
    // Readings older than the last and behind their arrival (a gateway resending what was judged) are still refused.
    const resent = await run([...Array.from({ length: 20 }, (_, i) => onTime(i)), ...Array.from({ length: 5 }, (_, i) => rd('s', T + 1000 * i, { a: 1, b: 9 }, T + 60_000))]);
    expect(resent.counters).toMatchObject({ clockSteps: 0, outOfOrder: 5 });
    expect(clockAheadMs(timed)).toBe(60_000);
  });
});
