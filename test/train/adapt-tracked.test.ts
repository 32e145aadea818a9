/**
 * `vigil adapt --judge tracked`: the anchor judges the recent windows as `vigil run` scores them
 * (train/adapt/tracked-scores.ts): each sensor's windows in time order with the tracked residual state, not the card's
 * static scores. A slow seasonal drift, which tracking follows live, is adapted to step after step (statically, the
 * default, the first step is refused); a fault the data ramps into is still refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { loadModel, type Series } from '@vigil/runtime';
import { writeReservoir, type StoredWindow } from '@vigil/runtime/adapt/reservoir-file.ts';
import { trainModel } from '../../train/train.ts';
import { run } from '../../train/adapt/cli.ts';
import { pumpSeries, toCsv, PUMP_CHANNELS } from '@vigil/fixtures/pump.ts';
import { quietly, tempDir } from './helpers.ts';

const DAY = 86_400_000;
/** Rows per adaptation step (20 min at 1 Hz) and the anchor age, compressed with them as bench/adapt-drift.ts does. */
const STEP = 1200;
const ANCHOR = 600_000;
const C = PUMP_CHANNELS.length;
const TEMP = PUMP_CHANNELS.indexOf('temperature');
const PRESSURE = PUMP_CHANNELS.indexOf('pressure');
const VIBRATION = PUMP_CHANNELS.indexOf('vibration_rms');

/** Each channel's standard deviation over a normal day of the pump. */
function sds(s: Series): number[] {
  const n = s.timestamps.length;
  return PUMP_CHANNELS.map((_, c) => {
    let m = 0;
    let v = 0;
    for (let r = 0; r < n; r++) m += s.data[r * C + c] / n;
    for (let r = 0; r < n; r++) v += (s.data[r * C + c] - m) ** 2 / n;
    return Math.sqrt(v);
  });
}

/** A day later, two steps of a slow seasonal drift (temperature and pressure), `edit` applied per row. */
function season(sd: number[], edit: (r: number, v: Float32Array) => void = () => {}): Series {
  const s = pumpSeries(2 * STEP, 21).series;
  const data = s.data.slice();
  for (let r = 0; r < 2 * STEP; r++) {
    const v = data.subarray(r * C, (r + 1) * C);
    const k = r / STEP;
    v[TEMP] += 1.05 * sd[TEMP] * k;
    v[PRESSURE] += 0.55 * sd[PRESSURE] * k;
    edit(r, v);
  }
  return { ...s, data, timestamps: s.timestamps.map((t) => t + DAY) };
}

/** The reservoir file of step `k` (1-based): every window ending in its rows, as vigil run keeps them. */
function reservoir(path: string, s: Series, k: number, W: number): void {
  const windows: StoredWindow[] = [];
  for (let end = Math.max(W - 1, (k - 1) * STEP); end < k * STEP; end++) {
    windows.push({ sensor: 'pump-1', tsFirst: s.timestamps[end - W + 1], tsLast: s.timestamps[end], data: s.data.slice((end - W + 1) * C, (end + 1) * C) });
  }
  writeReservoir(path, { model: { name: 'pump', window: W, channels: [...PUMP_CHANNELS], }, windows, canaries: [], fresh: windows.length, guards: {} });
}

const adapt = (model: string, file: string, judge = 'tracked') =>
  quietly(() => run(['--model', model, '--reservoir', file, '--anchor-age', String(ANCHOR), '--judge', judge, '--backend', 'wasm', '--quiet']));

describe('vigil adapt --reservoir --judge tracked judges the recent windows as vigil run does', { timeout: 600_000 }, () => {
  const dir = tempDir('vigil-tracked-');
  let sd: number[];
  let W: number;

  beforeAll(async () => {
    const normal = pumpSeries(1500, 11).series;
    sd = sds(normal);
    writeFileSync(`${dir}/train.csv`, toCsv(normal));
    for (const m of ['season', 'fault']) {
      const res = await trainModel({ data: `${dir}/train.csv`, out: `${dir}/${m}/pump`, epochs: 40, backend: 'wasm' });
      res.model.dispose();
    }
    W = loadModel(`${dir}/season/pump`).card.window;
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adapts to a slow seasonal drift at each of two steps', async () => {
    const card = loadModel(`${dir}/season/pump`).card;
    expect(card.scoring.residual?.tracking).toBeDefined();
    const s = season(sd);
    reservoir(`${dir}/season-1.json`, s, 1, W);
    // Judged statically (the default), the serving model flags the drift it follows live, and the step is refused.
    const still = await adapt(`${dir}/season/pump`, `${dir}/season-1.json`, 'static');
    expect(still.out).toMatch(/^adapt: refused .* v1: .*moved too far too fast: the serving model \(v1, .*\) flags \d+\.\d % of them/);
    for (const k of [1, 2]) {
      reservoir(`${dir}/season-${k}.json`, s, k, W);
      const { value: code, out } = await adapt(`${dir}/season/pump`, `${dir}/season-${k}.json`);
      expect(out).toMatch(new RegExp(`^adapt: adapted .* v${k} -> v${k + 1}`));
      expect(code).toBe(0);
    }
  });

  it('still refuses when the reservoir holds a vibration fault ramping in', async () => {
    // The first step's drift, and from the middle of its rows on, vibration ramps to 8 sd.
    const s = season(sd, (r, v) => void (v[VIBRATION] += r >= STEP / 2 && r < STEP ? (8 * sd[VIBRATION] * (r - STEP / 2)) / (STEP / 2) : 0));
    reservoir(`${dir}/fault.json`, s, 1, W);
    const { value: code, out } = await adapt(`${dir}/fault/pump`, `${dir}/fault.json`);
    expect(out).toMatch(/^adapt: refused .* v1: .*moved too far too fast: the serving model/);
    expect(code).toBe(3);
  });
});
