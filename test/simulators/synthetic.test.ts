import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../../simulators/synthetic/generate.ts';
import { ANOMALY_TYPES } from '../../simulators/synthetic/anomalies.ts';
import { writeSyntheticCsv, parseLabelsCsv } from '../../simulators/synthetic/files.ts';
import { readCsv } from '../../runtime/data/csv.ts';

const ROWS = 12_000;

describe('generateSynthetic', () => {
  const withFaults = generateSynthetic({ sensors: 3, channels: 8, rows: ROWS, seed: 42, anomalyRate: 1 / 800, cleanRows: 500 });
  const healthy = generateSynthetic({ sensors: 3, channels: 8, rows: ROWS, seed: 42, anomalyRate: 0 });

  it('same seed gives the same stream, another seed a different one', () => {
    const again = generateSynthetic({ sensors: 3, channels: 8, rows: ROWS, seed: 42, anomalyRate: 1 / 800, cleanRows: 500 });
    const other = generateSynthetic({ sensors: 3, channels: 8, rows: ROWS, seed: 43, anomalyRate: 1 / 800, cleanRows: 500 });
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from(again.sensors[i].series.data.buffer).equals(Buffer.from(withFaults.sensors[i].series.data.buffer))).toBe(true);
      expect(Buffer.from(other.sensors[i].series.data.buffer).equals(Buffer.from(withFaults.sensors[i].series.data.buffer))).toBe(false);
    }
    expect(again.labels).toEqual(withFaults.labels);
  });

  it('ground truth covers exactly what was injected', () => {
    let labelled = 0;
    for (let i = 0; i < 3; i++) {
      const f = withFaults.sensors[i];
      const h = healthy.sensors[i];
      const C = f.series.channels.length;
      // Every row that differs from the healthy twin lies inside a labelled interval, on a labelled channel.
      for (let r = 0; r < ROWS; r++) {
        for (let j = 0; j < C; j++) {
          if (f.series.data[r * C + j] === h.series.data[r * C + j]) continue;
          const hit = f.labels.find((l) => r >= l.startRow && r <= l.endRow && l.channels.includes(f.series.channels[j]));
          expect(hit, `row ${r} channel ${f.series.channels[j]} differs outside every label`).toBeDefined();
        }
      }
      // Every label changed something, has consistent rows/timestamps, and starts after the clean stretch.
      for (const l of f.labels) {
        labelled++;
        expect(l.startRow).toBeGreaterThanOrEqual(500);
        expect(l.endRow).toBeGreaterThanOrEqual(l.startRow);
        expect(l.start).toBe(f.series.timestamps[l.startRow]);
        expect(l.end).toBe(f.series.timestamps[l.endRow]);
        let changed = 0;
        for (let r = l.startRow; r <= l.endRow; r++) {
          for (const ch of l.channels) {
            const j = f.series.channels.indexOf(ch);
            if (f.series.data[r * C + j] !== h.series.data[r * C + j]) changed++;
          }
        }
        expect(changed, `${l.type} at ${l.startRow} changed nothing`).toBeGreaterThan(0);
        for (let r = l.startRow; r <= l.endRow; r++) expect(f.rowLabels[r]).toBe(1);
      }
      // Labels never overlap.
      for (let k = 1; k < f.labels.length; k++) expect(f.labels[k].startRow).toBeGreaterThan(f.labels[k - 1].endRow);
    }
    expect(labelled).toBeGreaterThan(15);
    const kinds = new Set(withFaults.labels.map((l) => l.type));
    for (const t of ANOMALY_TYPES) expect(kinds.has(t), `no ${t} injected`).toBe(true);
  });

  it('healthy channels are correlated the way a pump is: current follows flow, temperature lags load', () => {
    const s = healthy.sensors[0].series;
    const C = s.channels.length;
    const col = (name: string) => Array.from({ length: ROWS }, (_, r) => s.data[r * C + s.channels.indexOf(name)]);
    const corr = (a: number[], b: number[]) => {
      const ma = a.reduce((x, y) => x + y) / a.length;
      const mb = b.reduce((x, y) => x + y) / b.length;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < a.length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
      return sab / Math.sqrt(saa * sbb);
    };
    const flow = col('flow');
    const current = col('motor_current');
    const temp = col('temperature');
    expect(corr(flow, current)).toBeGreaterThan(0.95);
    // Temperature correlates better with current from ~10 minutes earlier than with current now.
    const lag = 600;
    expect(corr(current.slice(0, ROWS - lag), temp.slice(lag))).toBeGreaterThan(corr(current, temp));
  });

  it('writes CSVs the runtime reader reads back, and labels that parse back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-syn-'));
    try {
      const small = generateSynthetic({ sensors: 2, channels: 3, rows: 3000, seed: 5, anomalyRate: 1 / 500, cleanRows: 200 });
      writeSyntheticCsv(small, dir, { labelColumn: true });
      const back = readCsv(join(dir, `${small.sensors[1].id}.csv`), { extraColumns: ['label'] });
      expect(back.channels).toEqual(['flow', 'motor_current', 'temperature']);
      expect(back.timestamps).toEqual(small.sensors[1].series.timestamps);
      for (let k = 0; k < back.data.length; k++) expect(back.data[k]).toBeCloseTo(small.sensors[1].series.data[k], 3);
      expect(back.extra!.label.map(Number)).toEqual(Array.from(small.sensors[1].rowLabels));
      const labels = parseLabelsCsv(readFileSync(join(dir, 'labels.csv'), 'utf8'));
      expect(labels).toEqual(small.labels);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts scheduled faults at the rows and kinds given, labelled exactly, the healthy signal untouched elsewhere', () => {
    const schedule = [
      { type: 'spike', startRow: 100, rows: 1 },
      { type: 'level_shift', startRow: 300, rows: 30 },
      { type: 'broken_correlation', startRow: 600, rows: 40 },
    ] as const;
    const planned = generateSynthetic({ sensors: 1, channels: 8, rows: 1000, seed: 42, anomalyRate: 0, schedule });
    const plain = generateSynthetic({ sensors: 1, channels: 8, rows: 1000, seed: 42, anomalyRate: 0 });
    const f = planned.sensors[0];
    expect(f.labels.map((l) => [l.type, l.startRow, l.endRow])).toEqual([['spike', 100, 100], ['level_shift', 300, 329], ['broken_correlation', 600, 639]]);
    expect(f.labels[2].channels).toEqual(['motor_current']);
    for (let r = 0; r < 1000; r++) {
      const same = f.series.data.subarray(r * 8, r * 8 + 8).every((v, j) => v === plain.sensors[0].series.data[r * 8 + j]);
      expect(same, `row ${r}`).toBe(f.rowLabels[r] === 0);
    }
    expect(() => generateSynthetic({ rows: 100, anomalyRate: 0, schedule: [{ type: 'drift', startRow: 10, rows: 20 }, { type: 'stuck', startRow: 25, rows: 5 }] })).toThrow(/starts before fault 0 ends/);
    expect(() => generateSynthetic({ rows: 100, channels: 1, anomalyRate: 0, schedule: [{ type: 'broken_correlation', startRow: 10, rows: 20 }] })).toThrow(/needs the flow and motor_current/);
  });

  it("profile 'steady' holds one mode without grid wander; one machine seed with other seeds is the same machine", () => {
    const run = (seed: number, machineSeed: number, profile?: 'steady') =>
      generateSynthetic({ sensors: 1, channels: 8, rows: 3000, seed, machineSeed, profile, dayPeriodS: 300, anomalyRate: 0 }).sensors[0].series.data;
    const column = (d: Float32Array, c: number) => Array.from({ length: d.length / 8 }, (_, r) => d[r * 8 + c]);
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
    const [FLOW, TEMP, VIB, VOLT, SPEED] = [0, 2, 4, 5, 6];
    const steady = [1, 2, 3].map((seed) => run(seed, 7, 'steady'));
    const field = [1, 2, 3].map((seed) => run(seed, 7));
    // Voltage: sag and reading noise only (~0.4 V), against ~2 V with the grid's slow wander.
    for (const d of steady) expect(sd(column(d, VOLT))).toBeLessThan(0.6);
    for (const d of field) expect(sd(column(d, VOLT))).toBeGreaterThan(1.2);
    // One mode: the three days run at the same mean speed within 3 %; in the field the controller changes mode.
    const speeds = (ds: Float32Array[]) => ds.map((d) => mean(column(d, SPEED)));
    expect(Math.max(...speeds(steady)) / Math.min(...speeds(steady))).toBeLessThan(1.03);
    expect(Math.max(...speeds(field)) / Math.min(...speeds(field))).toBeGreaterThan(1.3);
    // The machine's constants come from the machine seed: another one is another pump (size, ambient, vibration).
    const flows = steady.map((d) => mean(column(d, FLOW)));
    expect(Math.max(...flows) / Math.min(...flows)).toBeLessThan(1.03);
    const other = run(1, 8, 'steady');
    expect(Math.abs(mean(column(other, TEMP)) - mean(column(steady[0], TEMP)))).toBeGreaterThan(3);
    expect(Math.abs(mean(column(other, VIB)) - mean(column(steady[0], VIB)))).toBeGreaterThan(0.2);
  });

  it('rejects impossible options with a message saying what was expected', () => {
    expect(() => generateSynthetic({ rows: 10, sensors: 0 })).toThrow(/sensors: expected an integer >= 1/);
    expect(() => generateSynthetic({ rows: 10, anomalyRate: 2 })).toThrow(/anomalyRate/);
    expect(() => generateSynthetic({ rows: 10, profile: 'bench' as 'steady' })).toThrow(/synthetic option profile: expected 'field' or 'steady'; got bench/);
    expect(() => generateSynthetic({ rows: 10, machineSeed: Number.NaN })).toThrow(/machineSeed: expected a number/);
    expect(() => generateSynthetic({ rows: 0 })).toThrow(/rows/);
  });
});

describe('streamSynthetic', () => {
  it('streams exactly what generateSynthetic returns, on schedule, with the same labels', async () => {
    const { streamSynthetic } = await import('../../simulators/synthetic/stream.ts');
    const { VirtualClock } = await import('../../simulators/replay/clock.ts');
    const { SYNTHETIC_DEFAULTS } = await import('../../simulators/synthetic/sensor.ts');
    const options = { ...SYNTHETIC_DEFAULTS, sensors: 5, channels: 4, seed: 9, anomalyRate: 1 / 300, cleanRows: 100, start: 1_700_000_000_000 };
    const rows = 2000;
    const batch = generateSynthetic({ ...options, rows });
    const clock = new VirtualClock(0);
    const seen = new Map<string, { ts: number[]; values: number[]; at: number[] }>();
    const labels: unknown[] = [];
    const speed = 10;
    const summary = await streamSynthetic({
      options, speed, rows, clock,
      publish(sensor, ts, _channels, values) {
        const s = seen.get(sensor) ?? { ts: [], values: [], at: [] };
        seen.set(sensor, s);
        s.ts.push(ts);
        s.values.push(...values);
        s.at.push(clock.now());
      },
      onLabel: (l) => labels.push(l),
    });
    expect(summary.readings).toBe(5 * rows);
    for (const [i, s] of batch.sensors.entries()) {
      const got = seen.get(s.id)!;
      expect(Float64Array.from(got.ts)).toEqual(s.series.timestamps);
      expect(Float32Array.from(got.values)).toEqual(s.series.data);
      // Sensor i of 5 is staggered by i/5 of the interval; each row is due interval/speed later (virtual ms).
      for (const r of [0, 1, 999, 1999]) expect(got.at[r]).toBeCloseTo(((r + i / 5) * options.intervalMs) / speed, 6);
    }
    expect(labels.length).toBe(batch.labels.length);
    expect(new Set(labels.map((l) => JSON.stringify(l)))).toEqual(new Set(batch.labels.map((l) => JSON.stringify(l))));
  });
});
