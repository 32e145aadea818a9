/**
 * A channel that goes missing while the sensor's `missing_channel` signal is held back by its rate limit is offered
 * again at the sensor's next reading, until it is told (found by a probe: a sensor lost `speed`, then `flow` 5 s
 * later; `flow` was never signalled, its absence having fallen inside the limit).
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card } = tinyModel({ window: 2, channels: ['a', 'b', 'c'] });

describe('missing channels held back by the rate limit', () => {
  it('are offered again at the next reading until told, and once told not again', async () => {
    const calls: { at: number; channels: string[] }[] = [];
    // The limit: the first offer is told, the next one within 5 s is not.
    let toldAt = Number.NEGATIVE_INFINITY;
    const onMissing = (_s: string, channels: string[], at: number) => {
      calls.push({ at, channels });
      if (at - toldAt < 5000) return false;
      toldAt = at;
      return true;
    };
    const all = { a: 1, b: 1, c: 1 };
    const readings = [
      rd('p', 0, all), rd('p', 1000, all),
      rd('p', 2000, { b: 1, c: 1 }), rd('p', 3000, { b: 1, c: 1 }), rd('p', 4000, { b: 1, c: 1 }), // a gone after 1000
      rd('p', 5000, { c: 1 }), rd('p', 6000, { c: 1 }), rd('p', 7000, { c: 1 }), rd('p', 8000, { c: 1 }), rd('p', 9000, { c: 1 }), rd('p', 10_000, { c: 1 }),
    ];
    await lastValueFrom(from(readings).pipe(windowBySensor(card, { maxFillAgeMs: 2500, onMissing }), toArray()));
    // a: missing from 4000 (told). b: gone after 4000, missing from 7000: held back until 9000, told then.
    expect(calls).toEqual([
      { at: 4000, channels: ['a'] },
      { at: 7000, channels: ['b'] },
      { at: 8000, channels: ['b'] },
      { at: 9000, channels: ['b'] },
    ]);
  });
});
