/**
 * Physical ranges of channels: the card's optional `ranges: { channel: [min, max] }` (written by
 * `vigil train --range CH=MIN:MAX`, or by hand in NAME.json). A reading outside its channel's range is not
 * data the model should judge: `vigil run` and `vigil score` refuse it (reason `out_of_range`), and training
 * refuses rows outside it. One rule here for the card schema, the option syntax, the check and its message.
 */
import { z } from 'zod';
import { channelReader } from '../util/channel-record.ts';

/** Inclusive `[min, max]` of one channel: finite numbers, min below max. */
export const RangeSchema = z
  .tuple([z.number(), z.number()], { error: 'expected [min, max]: two finite numbers' })
  .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi), { message: 'expected finite numbers' })
  .refine(([lo, hi]) => lo < hi, { message: 'expected min < max' });

/** Channel name -> its physical range. Channels must be the card's (checked with the card, `rangesProblem`). */
export const RangesSchema = z.record(z.string().min(1), RangeSchema);
/** Physical ranges by channel. */
export type Ranges = Record<string, [number, number]>;

/** Why `ranges` does not fit `channels` (names a channel the model has not), or undefined. */
export function rangesProblem(ranges: Readonly<Ranges>, channels: readonly string[]): string | undefined {
  const unknown = Object.keys(ranges).filter((c) => !channels.includes(c));
  if (unknown.length === 0) return undefined;
  return `ranges names channel(s) ${unknown.map((c) => `'${c}'`).join(', ')} the model does not have; expected some of ${channels.join(', ')}`;
}

/** One value outside its channel's range. */
export interface OutOfRange {
  channel: string;
  value: number;
  range: [number, number];
}

/** Whether `v` lies in `[lo, hi]`. */
export function inRange(v: number, [lo, hi]: readonly [number, number]): boolean {
  return v >= lo && v <= hi;
}

/**
 * The first value of a reading outside its channel's range, or undefined (channels without a range pass); channels in
 * the order a walk of `ranges` gives (for-in). The check made once for `ranges` (`rangeCheckOf`).
 */
export function outOfRange(values: Readonly<Record<string, number>>, ranges: Readonly<Ranges>): OutOfRange | undefined {
  return rangeCheckOf(ranges)(values);
}

/**
 * `outOfRange` for one ranges object, made once: the channels in the order a walk of it gives (for-in), their values
 * read by name in one step (channel-record.ts) instead of a lookup that sees every name, twice, per channel per
 * reading. Ranges must not change after (a card's never do: a new card brings new ones).
 */
export function rangeCheck(ranges: Readonly<Ranges>): (values: Readonly<Record<string, number>>) => OutOfRange | undefined {
  const channels: string[] = [];
  for (const channel in ranges) channels.push(channel);
  const bounds = channels.map((c) => ranges[c]);
  const read = channelReader(channels);
  const got: unknown[] = [];
  return (values) => {
    read(values, got);
    for (let i = 0; i < channels.length; i++) {
      const value = got[i] as number | undefined;
      if (value !== undefined && !inRange(value, bounds[i])) return { channel: channels[i], value, range: bounds[i] };
    }
    return undefined;
  };
}

/** The `rangeCheck` of `ranges`, made at its first use and kept with it. */
export function rangeCheckOf(ranges: Readonly<Ranges>): (values: Readonly<Record<string, number>>) => OutOfRange | undefined {
  let check = CHECKS.get(ranges);
  if (!check) CHECKS.set(ranges, (check = rangeCheck(ranges)));
  return check;
}
const CHECKS = new WeakMap<Readonly<Ranges>, (values: Readonly<Record<string, number>>) => OutOfRange | undefined>();

/** `[-40, 125]`. */
export function rangeText([lo, hi]: readonly [number, number]): string {
  return `[${lo}, ${hi}]`;
}

/** Where a range was declared: the model card's `ranges`, or `vigil train --range`. */
export type RangeSource = 'card' | 'option';

/** `ranges.temp in the model card` or `--range temp=-40:125`: where to look to change it. */
export function rangeOrigin(channel: string, range: readonly [number, number], source: RangeSource = 'card'): string {
  if (COMPUTABLE.has(range)) return `beyond it the model's float32 arithmetic overflows and the score is not a number; declare ranges.${channel} in the model card for a physical range`;
  return source === 'card' ? `ranges.${channel} in the model card` : `--range ${channel}=${range[0]}:${range[1]}`;
}

/**
 * How far from its training centre, in training spreads (the scaler's scale), a value may lie for a channel
 * without a declared range: a finite float32 such as 1e30 passes the float32 check, yet squared inside the model
 * it overflows and the window scores Infinity (an alert with no score). 1e6 spreads is far beyond any sensor's
 * real excursion and far inside what float32 squares.
 */
export const COMPUTABLE_SPREADS = 1e6;

/** The implied ranges (marked so messages say where they come from). */
const COMPUTABLE = new WeakSet<object>();
const SERVING = new WeakMap<object, Ranges>();

/**
 * The ranges a card's model is judged with: its declared `ranges`, and for every other channel the range it can
 * compute (`COMPUTABLE_SPREADS` of its scale around its offset). Cached per card: asked for on every message.
 */
export function servingRanges(card: { channels: readonly string[]; scaler: { offset: number[]; scale: number[] }; ranges?: Readonly<Ranges> }): Readonly<Ranges> {
  let out = SERVING.get(card);
  if (out) return out;
  out = {};
  card.channels.forEach((c, i) => {
    const declared = card.ranges?.[c];
    if (declared) return void (out![c] = declared);
    const spread = COMPUTABLE_SPREADS * Math.max(Math.abs(card.scaler.scale[i]), 1e-12);
    const r: [number, number] = [card.scaler.offset[i] - spread, card.scaler.offset[i] + spread];
    COMPUTABLE.add(r);
    out![c] = r;
  });
  SERVING.set(card, out);
  return out;
}

/** The message of a refused reading: channel, value, range and where the range was declared. */
export function outOfRangeText(o: OutOfRange, source: RangeSource = 'card'): string {
  const what = COMPUTABLE.has(o.range) ? 'the range its model can compute' : 'its physical range';
  return `channel '${o.channel}' is ${o.value}, outside ${what} ${rangeText(o.range)} (${rangeOrigin(o.channel, o.range, source)})`;
}

/**
 * Parse `CH=MIN:MAX` (`temp=-40:125`) into a channel and its range; throws a message saying what was expected.
 * The channel is everything before the last `=`, so a channel name may hold `:` but not `=` after it.
 */
export function parseRangeOption(text: string): [string, [number, number]] {
  const eq = text.lastIndexOf('=');
  const m = eq > 0 ? /^\s*([^:]+?)\s*:\s*(\S+)\s*$/.exec(text.slice(eq + 1)) : null;
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || m[1].trim() === '') {
    throw new Error(`--range '${text}': expected CHANNEL=MIN:MAX with finite numbers, e.g. temp=-40:125`);
  }
  if (!(lo < hi)) throw new Error(`--range '${text}': expected MIN < MAX`);
  return [text.slice(0, eq).trim(), [lo, hi]];
}
