/**
 * `vigil score` end to end on a model trained by `trainModel`: one row per input row in input order, and
 * scores, thresholds and alerts identical to an independent offline computation (slidingWindows + ONNX
 * Runtime + scoreOutputs + decide) over the same rows.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, scoreCsv, writeScoresCsv } from '../../runtime/cli/score.ts';
import { parseThresholdOption } from '../../runtime/config/threshold-option.ts';
import { csvRecords, readCsv } from '../../runtime/data/csv.ts';
import { resolveSession } from '../../runtime/inference/resolve.ts';
import { loadModel, type LoadedModel } from '../../runtime/model/load.ts';
import { applyScaler } from '../../runtime/scaling/scaler.ts';
import { seriesMeanOf } from '../../runtime/scoring/residual-baselines.ts';
import { learnInputOffsets, shiftInputs } from '../../runtime/scoring/input-offsets.ts';
import { INPUT_BLOCK } from '../../runtime/scoring/input-blocks.ts';
import { spanResiduals } from '../../runtime/scoring/mahalanobis.ts';
import { scoreOutputs } from '../../runtime/scoring/score-outputs.ts';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { decide } from '../../runtime/thresholds/threshold.ts';
import { slidingWindows } from '../../runtime/window/sliding.ts';
import { trainModel } from '../../train/train.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);
const W = 16;
const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let model: LoadedModel;
let testCsv: string;
let dedupCsv: string;
const ANOMALY = [300, 316];
const DUP_ROW = 200;

/** Three correlated channels sampled once a second; optional vibration step in [from, to). */
function csv(rows: number, seed: number, anomaly?: number[], dupAt?: number): string {
  const rand = mulberry32(seed);
  const lines = ['timestamp,current,vibration,temp'];
  for (let i = 0; i < rows; i++) {
    const phase = Math.sin((2 * Math.PI * i) / 25);
    let vib = 2 + 0.5 * phase + 0.05 * rand();
    if (anomaly && i >= anomaly[0] && i < anomaly[1]) vib += 2.5;
    const line = `${new Date(T0 + i * 1000).toISOString()},${(10 + phase + 0.05 * rand()).toFixed(4)},${vib.toFixed(4)},${(40 + 0.2 * phase + 0.05 * rand()).toFixed(4)}`;
    lines.push(line);
    if (i === dupAt) lines.push(line.replace(/,[^,]+$/, ',99')); // a repeated timestamp: dropped by the window stage
  }
  return `${lines.join('\n')}\n`;
}

async function score(args: string[]): Promise<string[][]> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}.csv`);
  const log: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (log.push(String(s)), true)) as typeof process.stdout.write;
  try {
    expect(await run(['--model', join(dir, 'pump'), '--out', out, ...args])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  expect(log.join('')).toMatch(/time: \d+\.\d\d s/);
  // The alert lines' times are UTC, said once (a probe read them as its own zone's).
  const summary = log.join('').match(/alerts: (\d+)(.*)/);
  expect(summary?.[2]).toBe(summary?.[1] === '0' ? '' : ' (times in UTC)');
  return readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => l.split(','));
}

/**
 * The offline reference over a CSV without repeated timestamps, in batches of one block of input offsets
 * (runtime/scoring/input-blocks.ts): whatever batches `vigil score` uses, its scores must be these.
 */
async function reference(path: string, threshold: unknown, batch = INPUT_BLOCK) {
  const { card } = model;
  const s = readCsv(path, { channels: card.channels });
  const C = card.channels.length;
  const ws = slidingWindows(applyScaler(card.scaler, s.data), C, card.window, 1);
  const { session } = await resolveSession(['cpu'], { onnx: model.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: C });
  // The default card's inputs follow its residual (runtime/scoring/input-offsets.ts): each block of windows is
  // shifted by what the windows two blocks before it taught.
  const meanOf = seriesMeanOf(card.scoring);
  const residual = card.scoring.residual!;
  expect(residual.tracking?.input).toBeGreaterThan(0);
  const per = card.window * C;
  const sc = { scores: new Float32Array(ws.count), perChannel: new Float32Array(ws.count * C) };
  for (let s = 0; s < ws.count; s += batch) {
    const n = Math.min(batch, ws.count - s);
    const x = ws.data.slice(s * per, (s + n) * per);
    const applied = shiftInputs(x, n, card.window, C, residual, meanOf!)!;
    const { reconstruction } = await session.run(x, n);
    const b = scoreOutputs(x, { reconstruction, extra: {} }, n, card.window, C, card.scoring, meanOf);
    sc.scores.set(b.scores, s);
    sc.perChannel.set(b.perChannel, s * C);
    learnInputOffsets(spanResiduals(x, reconstruction, n, card.window, C, card.scoring.span), b.scores, n, C, residual, applied, meanOf!);
  }
  await session.close();
  const t = createThreshold(threshold, card);
  const decisions = Array.from(sc.scores, (x) => decide(t, x));
  return { scores: sc.scores, decisions, ends: ws.ends, perChannel: sc.perChannel };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1e-3, Math.abs(b));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-score-'));
  writeFileSync(join(dir, 'train.csv'), csv(300, 1));
  testCsv = join(dir, 'test.csv');
  writeFileSync(testCsv, csv(420, 2, ANOMALY, DUP_ROW));
  dedupCsv = join(dir, 'dedup.csv');
  writeFileSync(dedupCsv, csv(420, 2, ANOMALY));
  await trainModel({ data: join(dir, 'train.csv'), out: join(dir, 'pump'), arch: 'dense', window: W, epochs: 25, seed: 7 });
  model = loadModel(join(dir, 'pump'));
}, 120_000);

describe('vigil score', () => {
  it('writes one row per input row, in order, matching the offline reference', async () => {
    // One quiet window closes (the default is the config schema's alerts.closeM), so alert = the verdict here.
    // --sort: a repeated timestamp is refused by default (issue 17.4); sorting keeps it in place, scored 0 as live.
    const rows = await score(['--data', testCsv, '--alert-close', '1', '--sort']);
    const input = readFileSync(testCsv, 'utf8').trimEnd().split('\n');
    expect(rows.length).toBe(input.length);
    expect(rows[0]).toEqual(['timestamp', 'score', 'threshold', 'alert', 'err_current', 'err_vibration', 'err_temp']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(input.slice(1).map((l) => l.split(',')[0]));

    const ref = await reference(dedupCsv, model.card.threshold.default);
    const body = rows.slice(1);
    // Rows before the first full window: score 0, alert 0, the card's calibration as threshold.
    for (let r = 0; r < W - 1; r++) expect(body[r].slice(1)).toEqual(['0', String(Number(body[0][2])), '0', '0', '0', '0']);
    expect(Number(body[0][2])).toBeCloseTo(createThreshold(model.card.threshold.default, model.card).current(), 6);
    // The repeated-timestamp row is dropped by the window stage and scores 0; every other row maps 1:1.
    const scored = body.filter((_, i) => i !== DUP_ROW + 1);
    expect(Number(body[DUP_ROW + 1][1])).toBe(0);
    for (let i = 0; i < ref.scores.length; i++) {
      const r = scored[ref.ends[i]];
      expect(close(Number(r[1]), ref.scores[i])).toBe(true);
      expect(close(Number(r[2]), ref.decisions[i].threshold)).toBe(true);
      expect(Number(r[3])).toBe(ref.decisions[i].anomaly ? 1 : 0);
      for (let c = 0; c < 3; c++) expect(close(Number(r[4 + c]), ref.perChannel[i * 3 + c])).toBe(true);
    }
    // The injected vibration step is caught, and on the vibration channel.
    const flagged = scored.map((r, i) => (r[3] === '1' ? i : -1)).filter((i) => i >= 0);
    expect(flagged.some((i) => i >= ANOMALY[0] && i < ANOMALY[1] + W)).toBe(true);
    const peak = scored.reduce((best, r, i) => (Number(r[1]) > Number(scored[best][1]) ? i : best), 0);
    expect(peak).toBeGreaterThanOrEqual(ANOMALY[0]);
    expect(Number(scored[peak][5])).toBeGreaterThan(Number(scored[peak][4]) + Number(scored[peak][6]));
  }, 60_000);

  it("passes the input's label column through, last, so vigil evaluate labels reads the scores file alone (a probe had to pass --labels)", async () => {
    const lines = readFileSync(dedupCsv, 'utf8').trimEnd().split('\n');
    const labelled = join(dir, 'labelled.csv');
    writeFileSync(labelled, `${[`${lines[0]},Fault`, ...lines.slice(1).map((l, i) => `${l},${i >= ANOMALY[0] && i < ANOMALY[1] ? '"bearing, drive end"' : 'normal'}`)].join('\n')}\n`);
    const out = join(dir, 'labelled-scores.csv');
    expect(await run(['--model', join(dir, 'pump'), '--data', labelled, '--out', out, '--quiet'])).toBe(0);
    const text = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(text[0]).toBe('timestamp,score,threshold,alert,err_current,err_vibration,err_temp,label');
    expect(text[1 + ANOMALY[0]].endsWith(',"bearing, drive end"')).toBe(true);
    expect(text[1].endsWith(',normal')).toBe(true);
    const evaluated = spawnSync(process.execPath, ['bin/vigil.mjs', 'evaluate', 'labels', '--scores', out], { cwd: repo, encoding: 'utf8' });
    expect(evaluated.stderr).not.toMatch(/no label column/);
    expect(evaluated.status).toBe(0);
    expect(evaluated.stdout).toMatch(/events/);
  }, 60_000);

  it('adapts an adaptive threshold along the stream exactly like the offline sequence, with hysteresis on alerts', async () => {
    // floorShare=0: the bar may fall below the card's level, so it moves along this short clean stream.
    const spec = 'quantile,q=0.95,window=60,minCount=30,factor=1,floorShare=0';
    const rows = (await score(['--data', dedupCsv, '--threshold', spec, '--alert-open', '2/3', '--alert-close', '4', '--batch', '7'])).slice(1);
    // vigil score in batches of 7 (cut at each block's end), the reference in whole blocks: the same scores.
    const ref = await reference(dedupCsv, parseThresholdOption(spec));
    const levels = new Set<string>();
    for (let i = 0; i < ref.scores.length; i++) {
      const r = rows[ref.ends[i]];
      expect(close(Number(r[2]), ref.decisions[i].threshold)).toBe(true);
      levels.add(r[2]);
    }
    expect(levels.size).toBeGreaterThan(5);
    // 2-of-3 to open, 4 quiet to close: an alert row needs an anomalous window among itself and the 3 before it
    // (still open) or 2 of the last 3 (just opened).
    const anomalous = new Array(rows.length).fill(false);
    ref.decisions.forEach((d, i) => (anomalous[ref.ends[i]] = d.anomaly));
    rows.forEach((r, i) => {
      if (r[3] === '1') expect(anomalous.slice(Math.max(0, i - 4), i + 1).some(Boolean)).toBe(true);
    });
    expect(rows.some((r) => r[3] === '1')).toBe(true);
  }, 60_000);

  it('rejects a bad threshold, providers or model with a message saying what was expected', async () => {
    await expect(run(['--model', join(dir, 'pump'), '--data', dedupCsv, '--out', join(dir, 'x.csv'), '--threshold', 'bogus'])).rejects.toThrow(/--threshold.kind: expected one of/);
    await expect(run(['--model', join(dir, 'pump'), '--data', dedupCsv, '--out', join(dir, 'x.csv'), '--providers', 'cuda'])).rejects.toThrow(/no execution provider could run the model:\n {2}cuda: /);
    await expect(run(['--model', join(dir, 'nope'), '--data', dedupCsv, '--out', join(dir, 'x.csv')])).rejects.toThrow(/model card not found/);
    await expect(run(['--model', join(dir, 'pump'), '--data', dedupCsv, '--out', join(dir, 'x.csv'), '--alert-open', '3'])).rejects.toThrow(/--alert-open: expected k\/n/);
  });
});

describe('--threshold spec', () => {
  it('reads kind, kind with params, and JSON', () => {
    expect(parseThresholdOption('spot')).toEqual({ kind: 'spot' });
    expect(parseThresholdOption('spot, q=1e-4, learnFlagged=false, mode=x')).toEqual({ kind: 'spot', q: 1e-4, learnFlagged: false, mode: 'x' });
    expect(parseThresholdOption('{"kind":"ewma","k":4}')).toEqual({ kind: 'ewma', k: 4 });
    expect(() => parseThresholdOption('q=1')).toThrow(/expected a kind first/);
    expect(() => parseThresholdOption('spot,q')).toThrow(/'q' is not key=value/);
    expect(() => parseThresholdOption('{bad')).toThrow(/not valid JSON/);
  });
});

describe('vigil score: field input (issue 17)', () => {
  const lines = () => readFileSync(dedupCsv, 'utf8').trimEnd().split('\n');
  const variant = (name: string, edit: (l: string[]) => string[]) => {
    const path = join(dir, name);
    writeFileSync(path, `${edit(lines()).join('\n')}\n`);
    return path;
  };
  const args = (data: string) => ['--model', join(dir, 'pump'), '--data', data, '--out', join(dir, 'never.csv'), '--quiet'];

  it('refuses a cell beyond float32 under the default --fill error, with file:line and column', async () => {
    for (const x of ['1e308', '4e38', '1e39']) {
      const bad = variant(`f32-${x}.csv`, (l) => l.map((line, i) => (i === 250 ? line.replace(/,[^,]+$/, `,${x}`) : line)));
      await expect(run(args(bad))).rejects.toThrow(new RegExp(`f32-${x}\\.csv:251: column 'temp': '${x}' is beyond the float32 range`));
    }
    expect(existsSync(join(dir, 'never.csv'))).toBe(false);
  });

  it('refuses rows out of time order naming the first offending line and the counts; --sort scores them', async () => {
    const reversed = variant('reversed.csv', (l) => [l[0], ...l.slice(1).reverse()]);
    await expect(run(args(reversed))).rejects.toThrow(/reversed\.csv:3: timestamp '[^']+' is earlier than line 2's '[^']+'; rows must be in increasing time order \(419 row\(s\) earlier than the row before, 0 repeating an earlier timestamp; pass --sort to sort them\)/);
    const dup = variant('dup.csv', (l) => [...l.slice(0, 101), l[100], ...l.slice(101)]);
    await expect(run(args(dup))).rejects.toThrow(/dup\.csv:102: timestamp '[^']+' repeats the timestamp of line 101/);
    const sorted = await score(['--data', reversed, '--sort']);
    const straight = await score(['--data', dedupCsv]);
    expect(sorted).toEqual(straight);
  }, 60_000);

  it('says why nothing was scored when the file is shorter than a window (a probe saw "windows scored: 0" and no reason)', async () => {
    const short = variant('short.csv', (l) => l.slice(0, 1 + W - 4));
    const log: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (log.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await run(['--model', join(dir, 'pump'), '--data', short, '--out', join(dir, 'short-out.csv')])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(log.join('')).toContain(`nothing scored: the file has ${W - 4} row(s) and the model judges windows of ${W}`);
  }, 60_000);

  it('--out replaces the file whole (temp + rename) and leaves it untouched when writing fails', async () => {
    const out = join(dir, 'atomic.csv');
    writeFileSync(out, 'previous complete results\n');
    const before = statSync(out).ino;
    const res = await scoreCsv({ model: join(dir, 'pump'), data: dedupCsv });
    // A channel list longer than the results fails on the first row, after the header: a write that dies midway.
    await expect(writeScoresCsv(out, res, [...model.card.channels, 'missing'])).rejects.toThrow();
    expect(readFileSync(out, 'utf8')).toBe('previous complete results\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('atomic.csv.'))).toEqual([]);
    await writeScoresCsv(out, res, model.card.channels);
    expect(statSync(out).ino).not.toBe(before);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(lines().length);
    expect(readdirSync(dir).filter((f) => f.startsWith('atomic.csv.'))).toEqual([]);
    // A channel whose name holds a comma is one quoted field (a probe's 'flow [m3/h, std]' broke vigil evaluate's read).
    const named = join(dir, 'named.csv');
    await writeScoresCsv(named, res, ['current', 'flow [m3/h, std]', 'say "hi"']);
    expect(readFileSync(named, 'utf8').split('\n')[0]).toBe('timestamp,score,threshold,alert,err_current,"err_flow [m3/h, std]","err_say ""hi"""');
    const { records } = csvRecords(readFileSync(named, 'utf8'), { file: named });
    expect(records[0]).toHaveLength(7);
  }, 60_000);
});
