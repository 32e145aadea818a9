/**
 * What level-drift scoring excuses and which inputs are fed shifted, for the log (runtime/scoring/level-drift.ts,
 * input-offsets.ts): a channel whose level is known to
 * wander counts for less the longer it goes unconfirmed, so an operator must be able to see which sensors' channels
 * are counting for less than half, since when, and how far their level has moved. Called now and then with every
 * sensor's tracked state, it writes a line when a channel starts or stops being excused, at most `maxLines` per call
 * (the rest counted in one line), so a fleet cannot flood the log.
 */
import type { ResidualModel } from './mahalanobis.ts';
import { offsetsAt } from './input-offsets.ts';
import { levelWeights } from './level-drift.ts';

/** A channel counting for less than this (of its full weight) is reported as excused. */
export const EXCUSED_BELOW = 0.5;

/**
 * A channel whose input offset (input-offsets.ts, scaled units: training sd with the standard scaler) passes this
 * is reported as shifted, and as back once it is under half of it.
 */
export const SHIFTED_BEYOND = 1;

/** A channel level drift currently excuses: its name, the share of its weight it counts, its level's move in sd. */
export interface ExcusedChannel {
  channel: string;
  weight: number;
  movedSd: number;
}

/** The channels of one sensor's tracked state that count for less than half their weight (none without drift). */
export function excusedChannels(model: ResidualModel, channels: readonly string[], state: Float64Array | undefined): ExcusedChannel[] {
  if (!model.tracking?.drift || !state) return [];
  return levelWeights(model, state).flatMap(({ weight, movedSd }, k) => (weight < EXCUSED_BELOW ? [{ channel: channels[k] ?? String(k), weight: round(weight), movedSd: round(movedSd) }] : []));
}

/** A channel fed to the model shifted (input-offsets.ts): its name and the offset taken off its input, scaled units. */
export interface ShiftedChannel {
  channel: string;
  offset: number;
}

/** The channels of one sensor's tracked state shifted by at least `SHIFTED_BEYOND / 4`, largest first (none without `input`). */
export function shiftedChannels(model: ResidualModel, channels: readonly string[], state: Float64Array | undefined): ShiftedChannel[] {
  const at = offsetsAt(model);
  if (at < 0 || !state || state.length < at + channels.length) return [];
  return channels
    .map((channel, k) => ({ channel, offset: round(state[at + k]) }))
    .filter((c) => Math.abs(c.offset) >= SHIFTED_BEYOND / 4)
    .sort((a, b) => Math.abs(b.offset) - Math.abs(a.offset));
}

/** Options of `createDriftLog`. */
export interface DriftLogOptions {
  /** Where lines go (e.g. a pino logger's `info`). */
  write: (fields: Record<string, unknown>, message: string) => void;
  /** Lines per call at most (default 10). */
  maxLines?: number;
}

/** A rate-limited reporter of excused channels; `report` returns the number of lines written. */
export function createDriftLog(o: DriftLogOptions): { report(model: ResidualModel, channels: readonly string[], states: Iterable<[string, Float64Array]>): number } {
  const maxLines = o.maxLines ?? 10;
  /** Excused channels by sensor at the last report, under `reported`'s residual model. */
  const excused = new Map<string, Set<string>>();
  /** Shifted channels by sensor at the last report (input offsets beyond SHIFTED_BEYOND). */
  const shifted = new Map<string, Set<string>>();
  let reported: ResidualModel | undefined;
  return {
    report(model, channels, states) {
      // Another model in service: its states are its own (fresh or seeded), not a confirmation of the old ones.
      if (model !== reported) {
        excused.clear();
        shifted.clear();
      }
      reported = model;
      const at = offsetsAt(model);
      if (!model.tracking?.drift && at < 0) return 0;
      const changes: { sensor: string; channel: string; now: boolean; weight: number; movedSd: number }[] = [];
      const moves: { sensor: string; channel: string; now: boolean; offset: number }[] = [];
      const seen = new Set<string>();
      for (const [sensor, state] of states) {
        seen.add(sensor);
        if (at >= 0) {
          const before = shifted.get(sensor) ?? new Set<string>();
          const now = new Set<string>();
          for (let k = 0; k < channels.length; k++) {
            const o = state[at + k];
            const channel = channels[k];
            const is = Math.abs(o) > (before.has(channel) ? SHIFTED_BEYOND / 2 : SHIFTED_BEYOND);
            if (is) now.add(channel);
            if (is !== before.has(channel)) moves.push({ sensor, channel, now: is, offset: o });
          }
          if (now.size) shifted.set(sensor, now);
          else shifted.delete(sensor);
        }
        if (!model.tracking?.drift) continue;
        const before = excused.get(sensor) ?? new Set<string>();
        const now = new Set<string>();
        levelWeights(model, state).forEach(({ weight, movedSd }, k) => {
          const channel = channels[k] ?? String(k);
          if (weight < EXCUSED_BELOW) now.add(channel);
          if (weight < EXCUSED_BELOW !== before.has(channel)) changes.push({ sensor, channel, now: weight < EXCUSED_BELOW, weight, movedSd });
        });
        if (now.size) excused.set(sensor, now);
        else excused.delete(sensor);
      }
      for (const sensor of excused.keys()) if (!seen.has(sensor)) excused.delete(sensor);
      for (const sensor of shifted.keys()) if (!seen.has(sensor)) shifted.delete(sensor);
      // One budget of maxLines for both kinds: input moves first, then level changes.
      let lines = 0;
      for (const m of moves.slice(0, maxLines)) {
        lines++;
        // `shift` as the line says it (what is added to the input; the offset taken off is its negative).
        o.write({ sensor: m.sensor, channel: m.channel, shift: round(-m.offset) }, m.now
          ? `input drift: ${m.sensor} ${m.channel} is now fed to the model shifted by ${round(-m.offset)} (scaled units: training sd with the standard scaler): its level has moved ${m.offset > 0 ? 'above' : 'below'} what training saw while normal (card tracking.input)`
          : `input drift: ${m.sensor} ${m.channel} is back near its training level (shift ${round(-m.offset)})`);
      }
      if (moves.length > lines) o.write({ more: moves.length - lines }, `input drift: ${moves.length - lines} more channel(s) started or stopped being shifted`);
      const shown = changes.slice(0, maxLines - lines);
      for (const c of shown) {
        const fields = { sensor: c.sensor, channel: c.channel, weight: round(c.weight), levelMovedSd: round(c.movedSd) };
        o.write(fields, c.now
          ? `level drift: ${c.sensor} ${c.channel} now counts ${pct(c.weight)} of its weight: its level wanders (card tracking.drift) and no normal window has confirmed it lately; its tracked level is ${round(c.movedSd)} sd from training`
          : `level drift: ${c.sensor} ${c.channel} counts ${pct(c.weight)} of its weight again: normal windows confirmed its level (${round(c.movedSd)} sd from training)`);
      }
      if (changes.length > shown.length) o.write({ more: changes.length - shown.length }, `level drift: ${changes.length - shown.length} more channel(s) started or stopped being excused`);
      return lines + (moves.length > lines ? 1 : 0) + shown.length + (changes.length > shown.length ? 1 : 0);
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
const pct = (x: number) => `${Math.round(x * 100)} %`;
