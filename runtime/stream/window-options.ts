/**
 * The options of the window stage (`windowBySensor`): what each one means, their fallbacks without a config (the
 * config schema's `window` defaults), their checks, and the counter each reason for dropping a reading increments.
 */
import { definedOnly } from '../util/options.ts';
import { WINDOW_CONFIG_DEFAULTS as W } from '../config/window.ts';
import type { PipelineCounters } from './counters.ts';
import type { AdmissionRule } from './admission.ts';
import type { Reading } from './types.ts';
import type { WindowTails } from './window-tails.ts';
import { checkGapOptions, type GapOptions } from './data-gaps.ts';

/** Options of `windowBySensor`; every field has a default. */
export interface WindowBySensorOptions extends GapOptions {
  /** Emit a window every `stride` rows once full (default 1: score every reading). */
  stride?: number;
  /** A missing channel is forward-filled from its last value up to this age (data time, ms); older marks the window incomplete. */
  maxFillAgeMs?: number;
  /** Drop windows that contain a row with a channel held past `maxFillAgeMs` instead of emitting them flagged. */
  skipIncomplete?: boolean;
  /**
   * At most this many sensors hold buffers (in the default pool): a new sensor beyond it evicts the least recently
   * seen one (counted as `evictedFull`), so a flood of new topics cannot lock out a real sensor.
   */
  maxSensors?: number;
  /** Pools by topic prefix (runtime/stream/admission.ts); a reading's pool is its `pool` (set by the decode stage). */
  admission?: AdmissionRule[];
  /** A sensor not heard from for this long (arrival time, ms) is evicted and starts afresh if it returns. */
  idleEvictMs?: number;
  /**
   * Arrival time (ms) before a sensor's newest accepted reading within which its accepted readings are remembered
   * (16 bytes each) to recognise a repeat as a `duplicate`; an older repeat counts `out_of_order`.
   */
  duplicateHorizonMs?: number;
  /** The last this many accepted readings of a sensor are remembered whatever their age (a slow sensor's copies). */
  duplicateHorizonReadings?: number;
  /** Readings remembered per sensor at most, and over all sensors (ring slots); past either the oldest go early (counted). */
  duplicateMaxPerSensor?: number;
  duplicateMaxReadings?: number;
  /**
   * Emit windows as views into their sensor's rows (`rows` set, `data` empty until inferBatches materialises it
   * into the batch input), created with every field of a Verdict so their shape never changes downstream. Off (the
   * default): each window owns a copy of its values, for consumers other than inferBatches.
   */
  views?: boolean;
  /** Counters to increment; a fresh set when omitted. */
  counters?: PipelineCounters;
  /**
   * Told of every reading taken into its sensor's rows (not a duplicate, not refused, not a restart's tail), in the
   * order taken: what the model is judging, for a page that draws it (the readings stream holds refused ones too).
   */
  onAccepted?: (r: Reading) => void;
  /**
   * Told of every reading dropped, with the reason (its counter is incremented too), e.g. for a rate-limited log; an
   * `out_of_order` or `timestamp_conflict` one with its timestamp and the sensor's last judged one.
   */
  onDrop?: (reason: WindowDropReason, sensor: string, ts?: number, lastTs?: number) => void;
  /** Told of every reading that repeats one its sensor already had (its counter is incremented too): no drop. */
  onDuplicate?: (sensor: string) => void;
  /** Told of every sensor evicted to make room for `admitted` in a full pool. */
  onEvict?: (evicted: string, admitted: string) => void;
  /**
   * Told when a sensor starts afresh from `toTs` after a clock glitch at `fromTs` (sensor-clocks.ts `clockStepped`),
   * or, `forward`, when a window of readings confirms its clock jumped ahead for good (by toTs - fromTs).
   */
  onClockStep?: (sensor: string, fromTs: number, toTs: number, forward?: boolean) => void;
  /**
   * Told when a sensor's reading finds channels left out for longer than `maxFillAgeMs` (or never sent that long after
   * its first reading): once per absence of each channel, their names in card order and the reading's arrival time.
   * Its rows hold their last values and are flagged, as long as the absence lasts.
   */
  onMissing?: (sensor: string, channels: string[], receivedAt: number) => boolean | void;
  /**
   * A restart's tails (window-tails.ts): `seeds` fill their sensors' windows before the first reading (they are not
   * judged again), and the stage sets `read` to give every sensor's last W - 1 readings as measured.
   */
  tails?: WindowTails;
}

/**
 * Why the window stage drops a reading (the `vigil_dropped_total` reason). A `duplicate` (a repeat of a reading
 * already accepted) is not among them: it is counted apart and lost nothing.
 */
export type WindowDropReason = 'timestamp_conflict' | 'out_of_order' | 'unusable' | 'sensor_limit';

/** Fallbacks of `windowBySensor` used without a config: the schema's `window` defaults (gaps: data-gaps.ts). */
export const WINDOW_DEFAULTS = {
  stride: W.stride,
  maxFillAgeMs: W.maxFillAgeMs,
  skipIncomplete: W.skipIncomplete,
  maxSensors: W.maxSensors,
  idleEvictMs: W.idleEvictMs,
  duplicateHorizonMs: W.duplicateHorizonMs,
  duplicateHorizonReadings: W.duplicateHorizonReadings,
  duplicateMaxPerSensor: W.duplicateMaxPerSensor,
  duplicateMaxReadings: W.duplicateMaxReadings,
};

/** The options with their defaults, checked. */
export function resolveWindowOptions(opts: WindowBySensorOptions) {
  const o = { ...WINDOW_DEFAULTS, ...definedOnly(opts) };
  for (const key of ['maxFillAgeMs', 'idleEvictMs', 'duplicateHorizonMs'] as const) {
    if (!(o[key] >= 0)) throw new Error(`windowBySensor: ${key} must be a number >= 0, got ${o[key]}`);
  }
  checkGapOptions(o, 'windowBySensor');
  for (const key of ['maxSensors', 'duplicateHorizonReadings', 'duplicateMaxPerSensor', 'duplicateMaxReadings'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`windowBySensor: ${key} must be an integer >= 1, got ${o[key]}`);
  }
  return o;
}

/** The counter each drop reason increments. */
export const DROP_COUNTER = {
  unusable: 'unusable',
  sensor_limit: 'sensorLimit',
  timestamp_conflict: 'timestampConflicts',
  out_of_order: 'outOfOrder',
} as const satisfies Record<WindowDropReason, keyof PipelineCounters>;
