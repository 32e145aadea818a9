/**
 * `generateSynthetic`: the pure, in-memory form of the synthetic fleet: Series per sensor plus ground truth.
 * Training and evaluation helpers use it directly; `vigil simulate synthetic --csv DIR` writes it to files.
 */
import type { Series } from '@vigil/runtime/data/series.ts';
import { SyntheticSensor, SYNTHETIC_DEFAULTS, sensorId, type SyntheticOptions } from './sensor.ts';
import type { AnomalyLabel } from './anomalies.ts';

/** One generated sensor. */
export interface SyntheticSensorData {
  id: string;
  series: Series;
  /** Ground-truth intervals, in time order. */
  labels: AnomalyLabel[];
  /** Per-row 0/1: 1 inside a labelled interval. */
  rowLabels: Uint8Array;
}

/** The generated fleet. */
export interface SyntheticData {
  options: SyntheticOptions;
  sensors: SyntheticSensorData[];
  /** All labels of all sensors. */
  labels: AnomalyLabel[];
}

/** Generate `rows` readings for every sensor; same options and seed -> identical output. */
export function generateSynthetic(options: Partial<SyntheticOptions> & { rows: number }): SyntheticData {
  const { rows, ...rest } = options;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a positive integer; got ${rows}`);
  const opts: SyntheticOptions = { ...SYNTHETIC_DEFAULTS, ...rest };
  validateOptions(opts);
  const sensors: SyntheticSensorData[] = [];
  for (let i = 0; i < opts.sensors; i++) {
    const s = new SyntheticSensor(sensorId(opts.prefix, i, opts.sensors), i, opts);
    const C = s.channels.length;
    const data = new Float32Array(rows * C);
    const timestamps = new Float64Array(rows);
    const labels: AnomalyLabel[] = [];
    for (let r = 0; r < rows; r++) {
      timestamps[r] = s.timestampOf(r);
      const label = s.step();
      data.set(s.values, r * C);
      if (label) labels.push(label);
    }
    const open = s.flush();
    if (open) labels.push(open);
    const rowLabels = new Uint8Array(rows);
    for (const l of labels) rowLabels.fill(1, l.startRow, l.endRow + 1);
    sensors.push({ id: s.id, series: { timestamps, channels: s.channels, data }, labels, rowLabels });
  }
  return { options: opts, sensors, labels: sensors.flatMap((s) => s.labels) };
}

/** Reject options that cannot make sense, saying what was expected. */
export function validateOptions(o: SyntheticOptions): void {
  const bad = (k: string, want: string, got: unknown) => new Error(`synthetic option ${k}: expected ${want}; got ${String(got)}`);
  if (!Number.isInteger(o.sensors) || o.sensors < 1) throw bad('sensors', 'an integer >= 1', o.sensors);
  if (!Number.isInteger(o.channels) || o.channels < 1) throw bad('channels', 'an integer >= 1', o.channels);
  if (!Number.isFinite(o.seed)) throw bad('seed', 'a number', o.seed);
  if (o.machineSeed !== undefined && !Number.isFinite(o.machineSeed)) throw bad('machineSeed', 'a number', o.machineSeed);
  if (o.profile !== undefined && o.profile !== 'field' && o.profile !== 'steady') throw bad('profile', "'field' or 'steady'", o.profile);
  if (!(o.intervalMs > 0)) throw bad('intervalMs', 'a positive number of milliseconds', o.intervalMs);
  if (!(o.anomalyRate >= 0 && o.anomalyRate <= 1)) throw bad('anomalyRate', 'a probability per reading in [0, 1]', o.anomalyRate);
  if (!(o.cleanRows >= 0)) throw bad('cleanRows', 'a number >= 0', o.cleanRows);
  if (!(o.dayPeriodS > 0)) throw bad('dayPeriodS', 'a positive number of seconds', o.dayPeriodS);
  if (!(o.modeDwellS > 0)) throw bad('modeDwellS', 'a positive number of seconds', o.modeDwellS);
}
