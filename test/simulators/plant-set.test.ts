import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plantSet, PLANT_SET, type PlantRun } from '../../simulators/synthetic/plant-set.ts';
import { PLANT_FAULTS } from '../../simulators/synthetic/plant-faults.ts';
import { SKID_CHANNELS, SKID_COL } from '../../simulators/synthetic/plant-skid.ts';
import { writePlantSetCsv, plantRunSvg } from '../../simulators/synthetic/plant-set-files.ts';
import { parseLabelsCsv } from '../../simulators/synthetic/files.ts';
import { readCsv } from '../../runtime/data/csv.ts';

const C = SKID_CHANNELS.length;
const runs = plantSet();
const twins = plantSet({ faults: [] });

const same = (a: Float32Array | Float64Array, b: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function labelledRows(run: PlantRun): Uint8Array {
  const out = new Uint8Array(run.test.timestamps.length);
  for (const l of run.labels) out.fill(1, l.startRow, l.endRow + 1);
  return out;
}

function trainSd(run: PlantRun, j: number): number {
  const n = run.train.timestamps.length;
  let s = 0, s2 = 0;
  for (let r = 0; r < n; r++) {
    const v = run.train.data[r * C + j];
    s += v;
    s2 += v * v;
  }
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
}

describe('plantSet', () => {
  it('has the default shape: runs x (train + test) rows of every skid channel, contiguous timestamps', () => {
    expect(runs).toHaveLength(PLANT_SET.runs);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    for (const r of runs) {
      expect(r.train.timestamps.length).toBe(PLANT_SET.trainRows);
      expect(r.test.timestamps.length).toBe(PLANT_SET.testRows);
      expect(r.train.channels).toEqual([...SKID_CHANNELS]);
      expect(r.test.data.length).toBe(PLANT_SET.testRows * C);
      expect(r.test.timestamps[0] - r.train.timestamps[PLANT_SET.trainRows - 1]).toBe(PLANT_SET.intervalMs);
      expect([...r.train.data, ...r.test.data].filter((v) => !Number.isFinite(v))).toEqual([]);
    }
  });

  it('is deterministic for a seed, and another seed gives other data', () => {
    const a = plantSet({ runs: 2, seed: 7 });
    const b = plantSet({ runs: 2, seed: 7 });
    const c = plantSet({ runs: 2, seed: 8 });
    for (let i = 0; i < 2; i++) {
      expect(same(a[i].train.data, b[i].train.data)).toBe(true);
      expect(same(a[i].test.data, b[i].test.data)).toBe(true);
      expect(same(a[i].test.timestamps, b[i].test.timestamps)).toBe(true);
      expect(a[i].labels).toEqual(b[i].labels);
      expect(same(a[i].test.data, c[i].test.data)).toBe(false);
    }
  });

  it('keeps labels inside the test rows, in order, apart by the normal gap, each lasting minutes', () => {
    for (const r of runs) {
      const n = r.test.timestamps.length;
      expect(r.labels.length).toBeGreaterThan(0);
      for (const [k, l] of r.labels.entries()) {
        expect(Number.isInteger(l.startRow) && Number.isInteger(l.endRow)).toBe(true);
        expect(l.startRow).toBeGreaterThanOrEqual(PLANT_SET.leadInRows);
        expect(l.endRow).toBeLessThanOrEqual(n - 1 - PLANT_SET.minGapRows);
        expect(l.endRow - l.startRow + 1).toBeGreaterThanOrEqual(60);
        expect(l.endRow - l.startRow + 1).toBeLessThanOrEqual(900);
        expect((PLANT_FAULTS as readonly string[]).includes(l.type)).toBe(true);
        expect(l.severity).toBeGreaterThanOrEqual(0);
        expect(l.severity).toBeLessThanOrEqual(1);
        if (k > 0) expect(l.startRow - r.labels[k - 1].endRow - 1).toBeGreaterThanOrEqual(PLANT_SET.minGapRows);
      }
    }
  });

  it('labels 15-30 % of the test rows in all, and uses every fault kind', () => {
    let labelled = 0, total = 0;
    for (const r of runs) {
      const rows = labelledRows(r).reduce((a, b) => a + b, 0);
      expect(rows / PLANT_SET.testRows).toBeGreaterThan(0.08);
      expect(rows / PLANT_SET.testRows).toBeLessThan(0.36);
      labelled += rows;
      total += PLANT_SET.testRows;
    }
    expect(labelled / total).toBeGreaterThanOrEqual(0.15);
    expect(labelled / total).toBeLessThanOrEqual(0.3);
    expect(new Set(runs.flatMap((r) => r.labels.map((l) => l.type)))).toEqual(new Set(PLANT_FAULTS));
  });

  it('training rows are fault-free: identical to the healthy twin, which has no labels', () => {
    for (const [i, r] of runs.entries()) {
      expect(twins[i].labels).toEqual([]);
      expect(same(r.train.data, twins[i].train.data)).toBe(true);
    }
  });

  it('every label changes its channels, and rows outside labels stay close to the healthy twin', () => {
    const thermal = new Set([SKID_COL.motor_temp, SKID_COL.bearing_temp]);
    for (const [i, r] of runs.entries()) {
      const t = twins[i].test.data;
      const inLabel = labelledRows(r);
      for (const l of r.labels) {
        let changed = 0;
        for (let k = l.startRow; k <= l.endRow; k++) {
          if (l.channels.some((ch) => r.test.data[k * C + SKID_COL[ch as keyof typeof SKID_COL]] !== t[k * C + SKID_COL[ch as keyof typeof SKID_COL]])) changed++;
        }
        expect(changed / (l.endRow - l.startRow + 1), `${r.id} ${l.type} at ${l.startRow}`).toBeGreaterThan(0.5);
      }
      // Outside labels the flow loop has settled: every channel but the two temperatures is within 0.15 training
      // standard deviations of the healthy twin. Temperatures may still carry the rest of a fault's extra heat:
      // it only decays (both twins get the same inputs after the cause), and stays under 2.5 K.
      const breaches: string[] = [];
      for (let j = 0; j < C; j++) {
        const bound = 0.15 * trainSd(r, j);
        let carried = 0;
        for (let k = 0; k < inLabel.length; k++) {
          const d = Math.abs(r.test.data[k * C + j] - t[k * C + j]);
          if (inLabel[k]) {
            carried = d;
            continue;
          }
          const limit = thermal.has(j) ? Math.min(2.5, carried + 0.01) : bound;
          if (d > limit) breaches.push(`${SKID_CHANNELS[j]} test row ${k}: ${d.toFixed(3)} > ${limit.toFixed(3)}`);
          if (thermal.has(j)) carried = d;
        }
      }
      expect(breaches.slice(0, 5), `${r.id} outside labels`).toEqual([]);
    }
  });

  it('every operating point of the test was visited in training, at the same flow set point', () => {
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    // Rows where the drive has held its speed for 20 s, outside labels: [speed, flow].
    const settled = (s: PlantRun['train'], skip?: Uint8Array) => {
      const out: [number, number][] = [];
      for (let k = 20; k < s.timestamps.length; k++) {
        const rpm = s.data[k * C + SKID_COL.speed];
        if (!skip?.[k] && Math.abs(s.data[(k - 20) * C + SKID_COL.speed] - rpm) < 8) out.push([rpm, s.data[k * C + SKID_COL.flow]]);
      }
      return out;
    };
    for (const r of runs) {
      expect(r.operatingPoints).toHaveLength(PLANT_SET.operatingPoints);
      // Training levels: each run's points sit on distinct speed steps ~148 rpm apart.
      const groups = new Map<number, [number, number][]>();
      for (const p of settled(r.train)) groups.set(Math.round(p[0] / 148), [...(groups.get(Math.round(p[0] / 148)) ?? []), p]);
      const levels = [...groups.values()].filter((g) => g.length >= 60).map((g) => ({ rpm: median(g.map((p) => p[0])), flow: median(g.map((p) => p[1])), test: [] as number[] }));
      expect(levels).toHaveLength(PLANT_SET.operatingPoints);
      for (const [rpm, flow] of settled(r.test, labelledRows(r))) {
        const near = levels.reduce((a, b) => (Math.abs(b.rpm - rpm) < Math.abs(a.rpm - rpm) ? b : a));
        expect(Math.abs(near.rpm - rpm), `${r.id}: test runs at ${rpm.toFixed(0)} rpm, never trained on`).toBeLessThan(10);
        near.test.push(flow);
      }
      for (const l of levels) if (l.test.length >= 60) expect(Math.abs(median(l.test) - l.flow) / l.flow, `${r.id} flow at ${l.rpm.toFixed(0)} rpm`).toBeLessThan(0.03);
    }
  });

  it('rejects options that cannot make sense, saying what was expected', () => {
    expect(() => plantSet({ runs: 0 })).toThrow(/runs: expected an integer >= 1/);
    expect(() => plantSet({ anomalyShare: [0.3, 0.2] })).toThrow(/anomalyShare/);
    expect(() => plantSet({ operatingPoints: 5 })).toThrow(/operatingPoints/);
    expect(() => plantSet({ faults: ['meteor' as never] })).toThrow(/faults: expected kinds among/);
  });

  it('writes train.csv, test.csv and labels.csv per run that read back to the same data and rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plant-'));
    try {
      const small = plantSet({ runs: 2, testRows: 1500 });
      const files = writePlantSetCsv(small, { ...PLANT_SET, runs: 2, testRows: 1500 }, dir);
      expect(files.some((f) => f.endsWith('plant-01.svg'))).toBe(true);
      for (const r of small) {
        const test = readCsv(join(dir, r.id, 'test.csv'));
        const train = readCsv(join(dir, r.id, 'train.csv'));
        expect(train.timestamps.length).toBe(r.train.timestamps.length);
        expect(same(test.timestamps, r.test.timestamps)).toBe(true);
        for (let k = 0; k < r.test.data.length; k++) expect(Math.abs(test.data[k] - r.test.data[k])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r.test.data[k])));
        const labels = parseLabelsCsv(readFileSync(join(dir, r.id, 'labels.csv'), 'utf8'));
        expect(labels.map((l) => [l.type, l.startRow, l.endRow])).toEqual(r.labels.map((l) => [l.type, l.startRow, l.endRow]));
        for (const l of labels) {
          expect(l.start).toBe(r.test.timestamps[l.startRow]);
          expect(l.end).toBe(r.test.timestamps[l.endRow]);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws a run with the end of training marked and every fault named', () => {
    const svg = plantRunSvg(runs[0]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('end of training');
    for (const l of runs[0].labels) expect(svg).toContain(l.type);
  });
});
