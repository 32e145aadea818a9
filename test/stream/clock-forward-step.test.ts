/**
 * A live sensor's clock stepped forward by less than the clock-ahead bound (a minute): a probe's sensor, stepped back
 * 30 s by NTP and forward again, had the 30 s of its forward step counted as readings lost before they reached vigil
 * (`vigil_readings_missing_total` 30, "lost before they reached vigil (a broker's queue limit ...)" in the log, /health
 * degraded at 11 % missing), though every reading had arrived, one a second. A step whose data time far exceeds its
 * arrival, at a live sensor's pace, is its clock, not a loss: said as a clock jump, counted as none missing. Readings
 * lost from a live stream, or from a backlog delivered at once, are counted as before.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import type { DataGap } from '../../runtime/stream/data-gaps.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card: base } = tinyModel({ window: 4, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
const card = { ...base, data: { ...base.data!, intervalMs: 1000 } };
const T = Date.UTC(2026, 11, 7, 7, 0);

async function judge(readings: ReturnType<typeof rd>[]) {
  const counters = createCounters();
  const gaps: DataGap[] = [];
  const jumps: { sensor: string; fromTs: number; toTs: number; forward?: boolean }[] = [];
  await lastValueFrom(from(readings).pipe(windowBySensor(card, { counters, onGap: (g) => gaps.push(g), onClockStep: (sensor, fromTs, toTs, forward) => jumps.push({ sensor, fromTs, toTs, forward }) }), toArray()));
  return { counters, gaps, jumps };
}

describe('a live sensor whose clock steps forward by less than a minute', () => {
  it('counts no readings missing over the step, and says it as a clock jump', async () => {
    // One reading a second, arriving 40 ms after it is stamped; at i = 30 the clock steps 30 s forward.
    const rows = Array.from({ length: 50 }, (_, i) => rd('s', T + 1000 * i + (i >= 30 ? 30_000 : 0), { a: 1, b: 0 }, T + 1000 * i + 40));
    const { counters, gaps, jumps } = await judge(rows);
    expect(gaps).toEqual([]);
    expect(counters).toMatchObject({ readingGaps: 0, readingsMissing: 0 });
    // Told as a jump of 30 s (the lead it gained): data time T + 30 s would have come next, T + 60 s came.
    expect(jumps).toEqual([{ sensor: 's', fromTs: T + 30_000, toTs: T + 60_000, forward: true }]);
  });

  it('readings lost from a live stream, or from a backlog delivered at once, are counted as before', async () => {
    const live = Array.from({ length: 80 }, (_, i) => i).filter((i) => i < 30 || i >= 60).map((i) => rd('s', T + 1000 * i, { a: 1, b: 0 }, T + 1000 * i + 40));
    expect((await judge(live)).counters).toMatchObject({ readingGaps: 1, readingsMissing: 30 });
    // A backlog: every reading arrives within a few ms; 30 of them dropped by the broker.
    const backlog = Array.from({ length: 80 }, (_, i) => i).filter((i) => i < 30 || i >= 60).map((i, k) => rd('s', T + 1000 * i, { a: 1, b: 0 }, T + 600_000 + k));
    expect((await judge(backlog)).counters).toMatchObject({ readingGaps: 1, readingsMissing: 30 });
  });
});
