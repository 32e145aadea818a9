/**
 * `vigil train` on data as plants export it (issue 17): label columns, cells beyond float32, rows out of time
 * order, a channel constant in training; and model files that a kill can never leave half-written.
 */
import { fitScaler } from '../../runtime/scaling/scaler.ts';
import { describe, expect, it } from 'vitest';
import { existsSync, linkSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadModel, type ModelCard } from '@vigil/runtime';
import { scoreCsv } from '../../runtime/cli/score.ts';
import { run } from '../../train/cli.ts';
import { trainModel } from '../../train/train.ts';
import { constantChannelNotes, parseRows } from '../../train/training-data.ts';
import { WRITE_STEPS, writeModelFiles } from '../../train/write-model.ts';
import { Rng } from '../../runtime/util/prng.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { tempDir } from './helpers.ts';

/** Run the CLI, capturing stdout and stderr. */
async function cli(args: string[]): Promise<{ out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  let out = '';
  let err = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    expect(await run([...args, '--quiet', '--backend', 'wasm', '--arch', 'dense', '--window', '16'])).toBe(0);
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
  return { out, err };
}

/** Pump rows plus extra columns given per row. */
function csvWith(rows: number, seed: number, extra: Record<string, (r: number) => number | string>): string {
  const names = Object.keys(extra);
  const lines = toCsv(pumpSeries(rows, seed).series).trimEnd().split('\n');
  return `${lines.map((l, i) => (i === 0 ? [l, ...names] : [l, ...names.map((n) => extra[n](i - 1))]).join(',')).join('\n')}\n`;
}

describe('vigil train: columns, values and row order (issue 17.1, 17.3, 17.4)', () => {
  const dir = tempDir();

  it('--rows trains on the first N (or FROM:TO) data rows: the same model as a file cut there, the rows said in a note', async () => {
    const lines = toCsv(pumpSeries(300, 4).series).trimEnd().split('\n');
    writeFileSync(`${dir}/whole.csv`, `${lines.join('\n')}\n`);
    writeFileSync(`${dir}/cut.csv`, `${lines.slice(0, 1 + 200).join('\n')}\n`);
    writeFileSync(`${dir}/middle.csv`, `${[lines[0], ...lines.slice(1 + 50, 1 + 250)].join('\n')}\n`);
    const { err } = await cli(['--data', `${dir}/whole.csv`, '--out', `${dir}/rows`, '--epochs', '2', '--rows', '200']);
    expect(err).toMatch(/note: .*whole\.csv: training on data rows 0 to 199 of 300 \(/);
    // ... and where the rows after them start, as `vigil evaluate labels --from` takes it.
    const row200 = new Date(pumpSeries(300, 4).series.timestamps[200]).toISOString();
    expect(err).toContain(`the rows after them start at ${row200} (vigil evaluate labels --from '${row200}')`);
    await cli(['--data', `${dir}/cut.csv`, '--out', `${dir}/cut`, '--epochs', '2']);
    const a = loadModel(`${dir}/rows`).card;
    const b = loadModel(`${dir}/cut`).card;
    expect(a.data).toEqual(b.data);
    expect(a.threshold.static.value).toBe(b.threshold.static.value);
    await cli(['--data', `${dir}/whole.csv`, '--out', `${dir}/mid-rows`, '--epochs', '2', '--rows', '50:250']);
    await cli(['--data', `${dir}/middle.csv`, '--out', `${dir}/mid-cut`, '--epochs', '2']);
    expect(loadModel(`${dir}/mid-rows`).card.data).toEqual(loadModel(`${dir}/mid-cut`).card.data);
    expect(() => parseRows('300:200')).toThrow(/FROM < TO/);
    expect(() => parseRows('-5')).toThrow(/--rows: expected N/);
    expect(parseRows(' 400 ')).toEqual({ from: 0, to: 400 });
    await expect(run(['--data', `${dir}/whole.csv`, '--out', `${dir}/x`, '--rows', '300:400', '--quiet'])).rejects.toThrow(/has 300 data rows; expected FROM below 300/);
  });

  it('sets label columns aside with a note; --channels makes one a channel; --ignore drops a column', async () => {
    const csv = `${dir}/labelled.csv`;
    writeFileSync(csv, csvWith(200, 1, { anomaly: (r) => (r > 150 ? 1 : 0), changepoint: (r) => (r === 151 ? 1 : 0), fault: () => 'none' }));
    const { err } = await cli(['--data', csv, '--out', `${dir}/l`, '--epochs', '2']);
    expect(loadModel(`${dir}/l`).card.channels).toEqual(['flow', 'motor_current', 'temperature', 'pressure', 'vibration_rms', 'voltage', 'speed', 'power']);
    expect(err).toMatch(/note: .*labelled\.csv: label column\(s\) anomaly, changepoint, fault set aside, not channels/);
    await cli(['--data', csv, '--out', `${dir}/l2`, '--epochs', '2', '--channels', 'motor_current,changepoint']);
    expect(loadModel(`${dir}/l2`).card.channels).toEqual(['motor_current', 'changepoint']);
    await cli(['--data', csv, '--out', `${dir}/l3`, '--epochs', '2', '--ignore', 'voltage,speed']);
    expect(loadModel(`${dir}/l3`).card.channels).toEqual(['flow', 'motor_current', 'temperature', 'pressure', 'vibration_rms', 'power']);
  }, 60_000);

  it('refuses values beyond float32 naming file:line (not "diverged, lower --lr") and writes nothing', async () => {
    for (const x of ['1e39', '4e38', '1e308']) {
      const csv = `${dir}/big-${x}.csv`;
      writeFileSync(csv, csvWith(200, 1, { extra: (r) => (r === 120 ? x : 1 + r / 100) }));
      await expect(trainModel({ data: csv, out: `${dir}/big`, epochs: 2, backend: 'wasm' }))
        .rejects.toThrow(new RegExp(`big-${x}\\.csv:122: column 'extra': '${x}' is beyond the float32 range`));
    }
    const s = pumpSeries(200, 1).series;
    s.data[5 * 8 + 2] = Infinity;
    await expect(trainModel({ data: s, out: `${dir}/big`, epochs: 2, backend: 'wasm' })).rejects.toThrow(/training series: row 5 channel 'temperature' is Infinity/);
    expect(readdirSync(dir).filter((f) => f.startsWith('big.'))).toEqual([]);
  });

  it('refuses rows out of time order naming the first line; --sort sorts and drops repeated timestamps with a note', async () => {
    const lines = readFileSync(`${dir}/labelled.csv`, 'utf8').trimEnd().split('\n');
    const reversed = `${dir}/reversed.csv`;
    writeFileSync(reversed, `${[lines[0], ...lines.slice(1).reverse()].join('\n')}\n`);
    await expect(trainModel({ data: reversed, out: `${dir}/rev`, epochs: 2, backend: 'wasm' }))
      .rejects.toThrow(/reversed\.csv:3: timestamp '[^']+' is earlier than line 2's '[^']+'; rows must be in increasing time order \(199 row\(s\) earlier than the row before, 0 repeating an earlier timestamp; pass --sort to sort them\)/);
    const repeated = `${dir}/repeated.csv`;
    writeFileSync(repeated, `${[...lines.slice(0, 60), ...lines.slice(50, 60), ...lines.slice(60)].join('\n')}\n`);
    await expect(trainModel({ data: repeated, out: `${dir}/rep`, epochs: 2, backend: 'wasm' })).rejects.toThrow(/repeated\.csv:61: timestamp '[^']+' repeats the timestamp of line 51/);
    const { err } = await cli(['--data', repeated, '--out', `${dir}/rep`, '--epochs', '2', '--sort']);
    expect(err).toMatch(/rows sorted into time order \(0 row\(s\) earlier than the row before, 10 repeating an earlier timestamp, first at line 61\)/);
    expect(err).toMatch(/10 row\(s\) repeating an earlier timestamp dropped/);
    expect(loadModel(`${dir}/rep`).card.training.rows).toBe(200);
  }, 60_000);
});

describe('vigil train: rows a label column marks', () => {
  it('leaves the windows touching them out of training, says so, and refuses a file with nothing else', async () => {
    const dir = tempDir();
    // 300 rows; rows 150-169 marked (a labelled fault), the rest 0 or empty.
    writeFileSync(`${dir}/labelled.csv`, csvWith(300, 5, { label: (r) => (r >= 150 && r < 170 ? 1 : r % 2 ? '' : 0) }));
    writeFileSync(`${dir}/plain.csv`, csvWith(300, 5, { label: () => 0 }));
    const notes: string[] = [];
    const counts: number[] = [];
    const train = (file: string) => trainModel({ data: `${dir}/${file}`, out: `${dir}/${file}.m`, arch: 'dense', window: 16, epochs: 1, seed: 3, backend: 'wasm', onNote: (n) => notes.push(n), onStart: (s) => counts.push(s.trainWindows + s.valWindows) });
    await train('plain.csv');
    await train('labelled.csv');
    // A window of 16 touches a marked row when it ends in rows 150..184: 35 windows fewer (stride 1 at 300 rows).
    expect(counts.slice(0, 2)).toEqual([285, 250]);
    expect(notes).toContainEqual(expect.stringMatching(/labelled\.csv: 20 row\(s\) marked anomalous in column 'label' \(first at .*\): the 35 window\(s\) touching them are left out of training/));
    expect(notes.some((n) => /plain\.csv: .* marked anomalous/.test(n))).toBe(false);
    // Nor do they set the scale: the same file with the labelled rows' first channel at 10,000 scales alike.
    const spiked = csvWith(300, 5, { label: (r) => (r >= 150 && r < 170 ? 1 : r % 2 ? '' : 0) }).split('\n').map((l, i) => (i >= 151 && i <= 170 ? l.replace(/^([^,]*),[^,]*/, '$1,10000') : l)).join('\n');
    writeFileSync(`${dir}/spiked.csv`, spiked);
    await train('spiked.csv');
    const scale = (f: string) => loadModel(`${dir}/${f}.m`).card.scaler;
    expect(scale('spiked.csv')).toEqual(scale('labelled.csv'));
    writeFileSync(`${dir}/all.csv`, csvWith(300, 5, { label: () => 'fault' }));
    await expect(train('all.csv')).rejects.toThrow(/every training window touches a row marked in column 'label' \(300 of 300 rows, first 'fault' at .*a label cell marks nothing when it is 0, empty or one of false, no, normal, ok, none/);
  }, 120_000);
});

describe('vigil train: a channel constant in training (issue 17.2)', () => {
  /** Pump rows plus `setpoint`, 5.0 in training; later ±jitter and a step (0.02: about half the floored scale). */
  function withSetpoint(rows: number, seed: number, jitter: number, stepAt = Infinity, step = 0.02): string {
    const rng = new Rng(seed + 100);
    return csvWith(rows, seed, { setpoint: (r) => +(5 + (jitter ? (rng.uniform() < 0.5 ? -jitter : jitter) : 0) + (r >= stepAt ? step : 0)).toFixed(4) });
  }
  function summary(r: Awaited<ReturnType<typeof scoreCsv>>, C: number) {
    let windows = 0;
    let flagged = 0;
    const maxErr = new Array<number>(C).fill(0);
    for (let i = 0; i < r.scores.length; i++) {
      if (!r.scored[i]) continue;
      windows++;
      if (r.anomalies[i]) flagged++;
      for (let c = 0; c < C; c++) maxErr[c] = Math.max(maxErr[c], Math.abs(r.perChannel[i * C + c]));
    }
    return { windows, flagged, maxErr, maxScore: Math.max(...r.scores) };
  }

  it('warns, floors its scale (recorded in the card), and later jitter or a small step neither flags every window nor swamps the others', async () => {
    const dir = tempDir();
    writeFileSync(`${dir}/train.csv`, withSetpoint(400, 1, 0));
    writeFileSync(`${dir}/jitter.csv`, withSetpoint(300, 2, 0.001));
    writeFileSync(`${dir}/step.csv`, withSetpoint(300, 2, 0.001, 200));
    const notes: string[] = [];
    const t = await trainModel({ data: `${dir}/train.csv`, out: `${dir}/m`, arch: 'dense', window: 16, epochs: 20, seed: 3, backend: 'wasm', onNote: (n) => notes.push(n) });
    expect(notes.filter((n) => n.includes('constant'))).toEqual([expect.stringMatching(/^channel 'setpoint' is constant in the training data \(5\.00000\): its scale is floored at 0\.\d+.* --ignore setpoint$/)]);
    // A name a shell would split is quoted, so the hint can be pasted as it is.
    expect(constantChannelNotes(['Volume Flow RateRMS', "it's"], [0, 1], [1, 1], [32, 1])).toEqual([
      expect.stringMatching(/ --ignore 'Volume Flow RateRMS'$/),
      expect.stringMatching(/ --ignore 'it'\\''s'$/),
    ]);
    // A meter riding on 1e8 moves by tens of units: float32 cannot resolve that there (steps of 8), and the note says
    // so instead of calling it constant; the card's method names the float32 bound that set its scale (a probe: 100,
    // while the method said 0.1 x the median std).
    const rows = 400;
    const meter = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      meter[r * 2] = Math.sin(r / 10);
      meter[r * 2 + 1] = 1e8 + 20 * Math.sin(r / 50);
    }
    const meterScale = fitScaler('standard', meter, 2);
    expect(meterScale.floored).toEqual([1]);
    expect(meterScale.scale[1]).toBeCloseTo(100, 4);
    expect(meterScale.method).toMatch(/scale floored at 0\.1 x the median std of the 1 varying channel\(s\) \(0\.\d+\), and at least 0\.000001 x max\(1, \|value\|\) \(what float32 resolves\)$/);
    expect(constantChannelNotes(['x', 'energy_meter'], meterScale.floored, meterScale.scale, meterScale.offset, meter)).toEqual([
      expect.stringMatching(/^channel 'energy_meter' moves by 32\.0 around 1\.00000e\+8, under a millionth of its size, where float32 \(the models' numbers\) holds it in steps of 8\.00: it counts as constant, .* send it with its offset taken off \(or as its change per reading\) for them to count, or leave it out with --ignore energy_meter$/),
    ]);
    // A channel in large units (a leak current of 2e-7 A moving by 80 %) is floored against 1, not its size: no
    // offset to take off, smaller units to send (a review: it was told of float32 steps of 1.4e-14).
    const leak = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      leak[r * 2] = 5 + Math.sin(r / 10);
      leak[r * 2 + 1] = 2e-7 * (1 + 0.4 * Math.sin(r / 7));
    }
    const leakScale = fitScaler('standard', leak, 2);
    expect(leakScale.floored).toEqual([1]);
    expect(constantChannelNotes(['pressure', 'leak_A'], leakScale.floored, leakScale.scale, leakScale.offset, leak)).toEqual([
      expect.stringMatching(/^channel 'leak_A' moves by 1\.60e-7 around 2\.00\d+e-7, under a millionth of one unit: it counts as constant, .* send it in smaller units \(uA for A, ppm\) for them to count, or leave it out with --ignore leak_A$/),
    ]);
    const { scaler } = loadModel(`${dir}/m`).card;
    expect(scaler.floored).toEqual([8]);
    expect(scaler.method).toMatch(/channel\(s\) 8 constant in training, scale floored at 0\.1 x the median std of the 8 varying channel\(s\)/);
    expect(scaler.scale[8]).toBeGreaterThan(0.01);
    expect(t.card.scaler).toEqual(scaler);

    const C = 9;
    const jitter = summary(await scoreCsv({ model: `${dir}/m`, data: `${dir}/jitter.csv` }), C);
    // Before the floor (scale 5e-6): 285 of 285 windows flagged, scores ~1e9.
    expect(jitter.flagged).toBeLessThan(0.05 * jitter.windows);
    expect(jitter.maxErr[8]).toBeLessThan(2);
    const step = summary(await scoreCsv({ model: `${dir}/m`, data: `${dir}/step.csv` }), C);
    // Before: every channel's error 1e6..5e7 and the setpoint's 7.8e9; now the others' errors are what they were without the step.
    for (let c = 0; c < 8; c++) expect(step.maxErr[c]).toBeLessThan(1.5 * jitter.maxErr[c] + 0.5);
    expect(step.maxErr[8]).toBeLessThan(50);
    expect(step.maxScore).toBeLessThan(100);
    expect(step.flagged).toBeLessThan(step.windows);

    // A step of 6 floored scales (a probe: a setpoint 50 -> 51, 6.9 scales, scored 4,310x its threshold by the
    // residual covariance, which had measured about 0 for a channel that never moved): the residual model takes a
    // constant channel's residual variance at its scale's, so the step counts about as much as the scaler says.
    expect(loadModel(`${dir}/m`).card.scoring.residual?.method).toMatch(/1 channel\(s\) constant in training at their scale's variance/);
    writeFileSync(`${dir}/big.csv`, withSetpoint(300, 2, 0, 200, +(6 * scaler.scale[8]).toFixed(4)));
    const big = summary(await scoreCsv({ model: `${dir}/m`, data: `${dir}/big.csv` }), C);
    // The model is fed the training value of a channel it never saw move: the step does not spoil the others.
    expect(loadModel(`${dir}/m`).card.scoring.constant).toEqual([8]);
    for (let c = 0; c < 8; c++) expect(big.maxErr[c]).toBeLessThan(1.5 * jitter.maxErr[c] + 0.5);
    // A setpoint flat in the fitted rows but stepped in the held-out ones is no constant: the scaler saw it move, and
    // holding it at 0 would feed the model a value it never saw (a review).
    writeFileSync(`${dir}/late.csv`, withSetpoint(400, 1, 0, 340, 1));
    const late = await trainModel({ data: `${dir}/late.csv`, out: `${dir}/late`, arch: 'dense', window: 16, epochs: 2, seed: 3, backend: 'wasm' });
    expect(late.card.scaler.floored).toBeUndefined();
    expect(late.card.scoring.constant).toBeUndefined();
    // Judged on its own deviation against its scale: 6 scales, a term of about 36 / C.
    expect(big.maxErr[8]).toBeLessThan(36 / C + 2);
    expect(big.maxScore).toBeLessThan(36 / C + 6);
  }, 120_000);
});

describe('model files replaced whole (issue 17.6)', () => {
  it('a kill after any step leaves a loadable pair: the previous model until the new card is in place, then the new one', async () => {
    const dir = tempDir();
    const out = `${dir}/m`;
    await trainModel({ data: pumpSeries(120, 1).series, out, arch: 'dense', window: 16, epochs: 1, backend: 'wasm' });
    const prev = loadModel(out);
    const bytes = Uint8Array.from([...prev.onnx, 0x0a, 0x00]); // other bytes, another sha: the loader checks only the sha
    const { sha256 } = await import('../../runtime/model/load.ts');
    const next: ModelCard = { ...prev.card, version: '2', onnx: { ...prev.card.onnx, sha256: sha256(bytes) } };
    const killed = new Error('killed');
    for (const stop of WRITE_STEPS) {
      writeModelFiles(out, prev.onnx, prev.card); // start from the previous model, whole
      expect(() => writeModelFiles(out, bytes, next, (s) => { if (s === stop) throw killed; })).toThrow(killed);
      const m = loadModel(out);
      const isNew = WRITE_STEPS.indexOf(stop) >= WRITE_STEPS.indexOf('staged-card');
      expect(m.card.version, stop).toBe(isNew ? '2' : prev.card.version);
      expect(m.card.onnx.sha256, stop).toBe(isNew ? next.onnx.sha256 : prev.card.onnx.sha256);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
    expect(loadModel(out).card.onnx.file).toBe('m.onnx');
    expect(readdirSync(dir).sort()).toEqual(['m.json', 'm.loss.svg', 'm.onnx']);
  }, 60_000);

  it('vigil train replaces NAME.onnx, NAME.json and NAME.loss.svg by rename, never rewriting them in place', async () => {
    const dir = tempDir();
    const csv = `${dir}/d.csv`;
    writeFileSync(csv, toCsv(pumpSeries(120, 1).series));
    await cli(['--data', csv, '--out', `${dir}/m`, '--epochs', '1']);
    const ino = (ext: string) => statSync(`${dir}/m.${ext}`).ino;
    // A hard link holds each old file, so its inode cannot be freed and handed to a new file (the card is written
    // twice, and the second write's temp file could take the inode the first rename freed: a full-suite run saw it).
    const exts = ['onnx', 'json', 'loss.svg'];
    for (const ext of exts) linkSync(`${dir}/m.${ext}`, `${dir}/old.${ext}`);
    const before = exts.map(ino);
    await cli(['--data', csv, '--out', `${dir}/m`, '--epochs', '1', '--seed', '5']);
    exts.forEach((ext, i) => expect(ino(ext), ext).not.toBe(before[i]));
    for (const ext of exts) rmSync(`${dir}/old.${ext}`);
    expect(loadModel(`${dir}/m`).card.onnx.file).toBe('m.onnx');
    expect(readdirSync(dir).sort()).toEqual(['d.csv', 'm.json', 'm.loss.svg', 'm.onnx']);
    expect(existsSync(`${dir}/m.onnx`)).toBe(true);
  }, 60_000);
});
