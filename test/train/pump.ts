/**
 * A small pump-like 8-channel data set at 1 Hz for training tests: flow follows a slowly changing demand,
 * current and power follow flow, temperature lags the load, vibration tracks speed. Optional injected
 * anomalies with point labels.
 */
import type { Series } from '@vigil/runtime';
import type { AnomalyType } from '../../simulators/index.ts';
import { Rng } from '../../runtime/util/prng.ts';

/** Channel names in column order. */
export const PUMP_CHANNELS = ['vibration_rms', 'current', 'pressure', 'temperature', 'flow', 'voltage', 'speed', 'power'];

/** The fault kinds this set can inject, named as the simulators' generator names them (simulators/synthetic/anomalies.ts). */
export type InjectionKind = Exclude<AnomalyType, 'dropout'>;

/** An injected anomaly: kind, first row, length. */
export interface Injection {
  kind: InjectionKind;
  start: number;
  length: number;
}

/** Generate `rows` rows; anomalies are applied after the normal physics so labels are exact. */
export function pumpSeries(rows: number, seed: number, injections: Injection[] = []): { series: Series; labels: Uint8Array } {
  const rng = new Rng(seed);
  const C = PUMP_CHANNELS.length;
  const data = new Float32Array(rows * C);
  let demand = 0.6;
  let temp = 45;
  const phase = rng.uniform() * 6.28;
  for (let t = 0; t < rows; t++) {
    demand += 0.02 * (0.6 + 0.25 * Math.sin(t / 90 + phase) - demand) + 0.01 * rng.normal();
    const flow = 120 * demand + rng.normal();
    const speed = 1450 * (0.7 + 0.3 * demand) + 3 * rng.normal();
    const current = 8 + 0.11 * flow + 0.15 * rng.normal();
    const voltage = 400 + 1.5 * rng.normal();
    const pressure = 2 + 0.00000125 * speed * speed + 0.03 * rng.normal();
    temp += (30 + 1.6 * current - temp) / 60 + 0.02 * rng.normal(); // first-order lag behind the load
    const vib = 1.2 + 0.0008 * speed + 0.05 * rng.normal();
    const power = (voltage * current * 1.732 * 0.85) / 1000 + 0.05 * rng.normal();
    data.set([vib, current, pressure, temp, flow, voltage, speed, power], t * C);
  }
  const labels = new Uint8Array(rows);
  for (const inj of injections) {
    const end = Math.min(rows, inj.start + inj.length);
    const c = Math.floor(rng.uniform() * C);
    const base = data[inj.start * C + c];
    for (let t = inj.start; t < end; t++) {
      labels[t] = 1;
      const k = t * C + c;
      const sd = Math.max(Math.abs(base) * 0.05, 0.5);
      switch (inj.kind) {
        case 'spike': data[k] += (t === inj.start ? 8 : 0) * sd; labels[t] = t === inj.start ? 1 : 0; break;
        case 'level_shift': data[k] += 4 * sd; break;
        case 'drift': data[k] += (6 * sd * (t - inj.start)) / inj.length; break;
        case 'stuck': data[k] = base; break;
        case 'variance_burst': data[k] += 3 * sd * rng.normal(); break;
        case 'broken_correlation': data[t * C + 1] = data[inj.start * C + 1]; data[t * C + 7] = data[inj.start * C + 7]; break;
      }
    }
  }
  const t0 = Date.UTC(2024, 0, 1);
  return { series: { timestamps: Float64Array.from({ length: rows }, (_, i) => t0 + i * 1000), channels: PUMP_CHANNELS, data }, labels };
}

/** The series as CSV text (ISO timestamps). */
export function toCsv(s: Series): string {
  const C = s.channels.length;
  const lines = [`timestamp,${s.channels.join(',')}`];
  for (let r = 0; r < s.timestamps.length; r++) {
    const vals = Array.from(s.data.subarray(r * C, (r + 1) * C), (v) => +v.toFixed(4));
    lines.push(`${new Date(s.timestamps[r]).toISOString()},${vals.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}
