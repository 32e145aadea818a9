/**
 * One synthetic sensor (a pump with its fault injector), stepped one reading at a time. The same stepper feeds
 * the live MQTT simulator and the pure `generateSynthetic`, so files and streams agree for a seed.
 */
import { createRng } from '@vigil/runtime/util/prng.ts';
import { Pump, channelNames, type PumpProfile } from './pump.ts';
import { AnomalyInjector, ANOMALY_TYPES, type AnomalyLabel, type AnomalyType, type ScheduledFault } from './anomalies.ts';

/** Everything that defines a synthetic fleet; serialisable, and the same options give the same data. */
export interface SyntheticOptions {
  /** Number of sensors (pumps). */
  sensors: number;
  /** Channels per sensor (8 = all physical channels; more adds aux mixes). */
  channels: number;
  /** Seed of every random stream. */
  seed: number;
  /** Milliseconds between readings of one sensor. */
  intervalMs: number;
  /** Epoch ms of the first reading. */
  start: number;
  /** Probability per reading that an anomaly starts (0 disables injection). */
  anomalyRate: number;
  /** Allowed anomaly kinds. */
  types: readonly AnomalyType[];
  /** Rows at the start of every sensor without anomalies. */
  cleanRows: number;
  /** Minimum healthy rows between anomalies. */
  minGap: number;
  /** Period of the demand cycle, seconds. */
  dayPeriodS: number;
  /** Mean dwell in one operating mode, seconds. */
  modeDwellS: number;
  /** Sensor id prefix; ids are `<prefix>-00001`... */
  prefix: string;
  /** Seed of the pumps' constants (size, motor, ambient, day phase, first mode); default `seed`. One machine seed with
   *  several seeds is the same machine on different days. */
  machineSeed?: number;
  /** How the pumps' operating point moves: 'field' (default, as in service) or 'steady' (a test bench; pump.ts). */
  profile?: PumpProfile;
  /** Faults at given rows of every sensor (kind, first row, length), besides the random ones. */
  schedule?: readonly ScheduledFault[];
}

/** Defaults: 1 Hz pumps, daily cycle, an anomaly every ~3000 readings on average after a clean first 1000. */
export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  sensors: 1,
  channels: 8,
  seed: 1,
  intervalMs: 1000,
  start: Date.UTC(2024, 0, 1),
  anomalyRate: 1 / 3000,
  types: ANOMALY_TYPES,
  cleanRows: 1000,
  minGap: 200,
  dayPeriodS: 86_400,
  modeDwellS: 3600,
  prefix: 'pump',
};

/** The id of sensor `i` (0-based) for a fleet: zero-padded so ids sort in order. */
export function sensorId(prefix: string, i: number, total: number): string {
  return `${prefix}-${String(i + 1).padStart(Math.max(5, String(total).length), '0')}`;
}

/** A stepping synthetic sensor. */
export class SyntheticSensor {
  /** Channel names in emitted order. */
  readonly channels: string[];
  /** Values of the last reading (reused buffer; copy if you keep it). */
  readonly values: Float32Array;
  /** Row index of the next reading. */
  row = 0;
  private readonly pump: Pump;
  private readonly injector: AnomalyInjector;

  constructor(readonly id: string, index: number, private readonly opts: SyntheticOptions) {
    this.channels = channelNames(opts.channels);
    this.values = new Float32Array(opts.channels);
    const noise = createRng(opts.seed, index, 'base');
    const machine = opts.machineSeed === undefined ? noise : createRng(opts.machineSeed, index, 'machine');
    this.pump = new Pump(noise, { dtS: opts.intervalMs / 1000, dayPeriodS: opts.dayPeriodS, modeDwellS: opts.modeDwellS, profile: opts.profile }, opts.channels, machine);
    this.injector = new AnomalyInjector(
      createRng(opts.seed, index, 'anomaly'),
      id,
      this.channels,
      { rate: opts.anomalyRate, types: opts.types, cleanRows: opts.cleanRows, minGap: opts.minGap, schedule: opts.schedule },
      (f) => this.pump.currentFor(f),
      () => this.pump.flowFractionNow,
    );
  }

  /** Timestamp (epoch ms) of row `r`. */
  timestampOf(r: number): number {
    return this.opts.start + r * this.opts.intervalMs;
  }

  /** Produce the next reading into `values`; returns the label of an anomaly that ended on this reading, if any. */
  step(): AnomalyLabel | null {
    const ts = this.timestampOf(this.row);
    this.pump.step(this.values);
    const label = this.opts.anomalyRate > 0 || this.opts.schedule?.length ? this.injector.apply(this.row, ts, this.values) : null;
    this.row++;
    return label;
  }

  /** Close the anomaly in progress at the last emitted row (when a stream stops mid-fault). */
  flush(): AnomalyLabel | null {
    if (this.row === 0) return null;
    return this.injector.flush(this.row - 1, this.timestampOf(this.row - 1));
  }
}
