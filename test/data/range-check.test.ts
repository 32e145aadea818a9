/**
 * rangeCheck, the range check decoding and training run on every reading: the answer of the definition (below: each
 * channel of the ranges in a walk of them, its value outside its range) for every reading: the same first channel out
 * (in the same order), its value and its range.
 */
import { describe, expect, it } from 'vitest';
import { inRange, outOfRange, rangeCheck, rangeCheckOf, servingRanges, type OutOfRange, type Ranges } from '../../runtime/model/ranges.ts';
import { channelRecord } from '../../runtime/util/channel-record.ts';
import { createRng } from '../../runtime/util/prng.ts';

/** The definition: the first channel of `ranges` (walked for-in) whose value is outside its range. */
function definition(values: Readonly<Record<string, number>>, ranges: Readonly<Ranges>): OutOfRange | undefined {
  for (const channel in ranges) {
    const value = values[channel];
    if (value !== undefined && !inRange(value, ranges[channel])) return { channel, value, range: ranges[channel] };
  }
  return undefined;
}

describe('rangeCheck', () => {
  it('finds what the definition finds, reading after reading', () => {
    // Integer-like names come first in a walk of the object, whatever order they were written in.
    const ranges: Ranges = { temp: [-40, 125], '10': [0, 1], pressure: [0, 16], '2': [5, 6], flow: [-1, 1] };
    const names = ['flow', 'temp', '2', 'pressure', 'extra', '10'];
    const check = rangeCheck(ranges);
    const rng = createRng(3);
    const pick = () => [Number.NaN, -0, 0, 1, 5, 6, 16, 125, -40, 126, -41, 1e30, 0.5, 5.5][Math.floor(rng.uniform() * 14)];
    let outs = 0;
    for (let k = 0; k < 3000; k++) {
      // The codec's record of every channel, or a plain object lacking some (another codec, a partial reading).
      const values = k % 2 ? channelRecord(names)(names.map(pick)) : Object.fromEntries(names.filter(() => rng.uniform() < 0.6).map((n) => [n, pick()]));
      const want = definition(values, ranges);
      const got = check(values);
      expect(outOfRange(values, ranges)).toEqual(want);
      expect(got).toEqual(want);
      if (want) expect(Object.is(got!.value, want.value) && got!.range === want.range).toBe(true);
      outs += want ? 1 : 0;
    }
    expect(outs).toBeGreaterThan(500);
    expect(outs).toBeLessThan(2900);
  });

  it('is made once per ranges object', () => {
    const card = { channels: ['a', 'b'], scaler: { offset: [0, 0], scale: [1, 1] } };
    const r = servingRanges(card);
    expect(rangeCheckOf(r)).toBe(rangeCheckOf(r));
    expect(rangeCheckOf(r)({ a: 1e7, b: 0 })).toEqual(definition({ a: 1e7, b: 0 }, r));
    expect(rangeCheckOf(r)({ a: 1, b: 0 })).toBeUndefined();
  });
});
