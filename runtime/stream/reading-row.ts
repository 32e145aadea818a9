/**
 * A reading's values as one row in the card's channel order: channels found by name, a missing one forward-filled
 * from its sensor's last value up to a maximum age, then scaled as the card says. One per window-stage
 * subscription, filled again for every reading (no allocation per reading).
 */
import type { ModelCard } from '../model/card.ts';
import type { SensorState } from './sensor-state.ts';
import { channelReader, type ChannelReader } from '../util/channel-record.ts';

/** The row being built from one reading, and what filling it found. */
export class ReadingRow {
  /** The row's values: raw after `fill`, scaled after `scale`. */
  readonly values: Float32Array;
  /** Channels forward-filled from a value within the max age. */
  filled = 0;
  /** A channel had no value within the max age (held anyway, and the row flagged). */
  stale = false;
  /**
   * Channels that became missing with this reading (1): held past the max age (or never sent for that long since the
   * sensor's first reading) and not said missing before in this absence. Valid while `newlyMissing`.
   */
  readonly missingChannels: Uint8Array;
  /** Some channel became missing with this reading (`missingChannels`). */
  newlyMissing = false;

  /** What `read` read last: each channel's value in the reading, in channel order. */
  private readonly got: unknown[];
  private readonly reader: ChannelReader;

  constructor(readonly names: readonly string[]) {
    this.values = new Float32Array(names.length);
    this.missingChannels = new Uint8Array(names.length);
    this.got = new Array<unknown>(names.length).fill(undefined);
    this.reader = channelReader(names);
  }

  /**
   * Each channel's value in a reading's values, in channel order (`values[name]`, undefined where absent), into an
   * array reused by the next read: a load per name (channel-record.ts), not one load that sees every name.
   */
  read(values: Readonly<Record<string, unknown>>): readonly unknown[] {
    return this.reader(values, this.got);
  }

  /**
   * Fill the row from a reading's values at data time `ts`, updating the sensor's last values for the channels it
   * carries. Returns how many channels the reading carried; with none, the sensor is left as it was.
   */
  fill(values: Record<string, number>, s: SensorState, ts: number, maxFillAgeMs: number, offset: readonly number[]): number {
    const { names, values: row } = this;
    let present = 0;
    let filled = 0;
    let stale = false;
    let newly = false;
    if (Number.isNaN(s.firstTs)) s.firstTs = ts;
    const got = this.read(values);
    for (let c = 0; c < names.length; c++) {
      const v = got[c];
      if (typeof v === 'number' && Number.isFinite(v)) {
        row[c] = v;
        s.last[c] = v;
        s.lastAt[c] = ts;
        s.missing[c] = 0;
        present++;
      } else if (!Number.isNaN(s.last[c]) && ts - s.lastAt[c] <= maxFillAgeMs) {
        row[c] = s.last[c];
        filled++;
      } else {
        // Never seen or too old: hold what we have (or the training offset, i.e. scaled 0) and flag the rows.
        row[c] = Number.isNaN(s.last[c]) ? offset[c] : s.last[c];
        stale = true;
        // Said missing once per absence; a channel never sent, once the sensor has been heard for the max age
        // (a sensor reporting by exception sends each channel when it changes, and a restart forgets its last values).
        if (!s.missing[c] && (!Number.isNaN(s.last[c]) || ts - s.firstTs > maxFillAgeMs)) {
          if (!newly) this.missingChannels.fill(0);
          this.missingChannels[c] = 1;
          s.missing[c] = 1;
          newly = true;
        }
      }
    }
    this.newlyMissing = newly;
    this.filled = filled;
    this.stale = stale;
    return present;
  }

  /** The channels this reading found newly missing were not told after all: they are newly missing at the next one. */
  untell(s: SensorState): void {
    for (let c = 0; c < this.missingChannels.length; c++) if (this.missingChannels[c] === 1) s.missing[c] = 0;
  }

  /** Scale the filled row in place; each value is read back as float32, exactly as when raw rows were held. */
  scale({ offset, scale }: ModelCard['scaler']): void {
    const row = this.values;
    for (let c = 0; c < row.length; c++) row[c] = (row[c] - offset[c]) / scale[c];
  }
}
