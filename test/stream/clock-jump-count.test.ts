/**
 * A sensor clock that jumps ahead and stays there (set forward, or an NTP correction forward) was logged, rate-limited,
 * but counted nowhere: /metrics had vigil_clock_steps_total for clocks set back and nothing for jumps ahead, so a
 * dashboard or alert rule could not see them. Both kinds of jump now count in `clockJumps`
 * (vigil_clock_jumps_total).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { createCounters } from '../../runtime/stream/counters.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card: base } = tinyModel({ window: 4, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
const card = { ...base, data: { ...base.data!, intervalMs: 1000 } };
const T = Date.UTC(2026, 11, 7, 7, 0);

async function jumpsOf(aheadMs: number): Promise<number> {
  const counters = createCounters();
  // One reading a second, on time; from i = 20 on the clock reads `aheadMs` ahead.
  const rows = Array.from({ length: 40 }, (_, i) => rd('s', T + 1000 * i + (i >= 20 ? aheadMs : 0), { a: 1, b: 0 }, T + 1000 * i + 40));
  await lastValueFrom(from(rows).pipe(windowBySensor(card, { counters }), toArray()));
  return counters.clockJumps;
}

describe('clock jumps ahead are counted', () => {
  it('an hour ahead for good, and an NTP correction of 30 s, count one each; a steady clock none', async () => {
    expect(await jumpsOf(3_600_000)).toBe(1);
    expect(await jumpsOf(30_000)).toBe(1);
    expect(await jumpsOf(0)).toBe(0);
  });
});
