/** Tiny training files: too short for a residual covariance (squared error, said), too few windows for a threshold (refused); the card's losses. */
import { describe, expect, it } from 'vitest';
import { MIN_MAHALANOBIS_WINDOWS, trainModel } from '../../train/train.ts';
import { pumpSeries } from '@vigil/fixtures/pump.ts';
import { tempDir } from './helpers.ts';

describe('mahalanobis on tiny training files', () => {
  it('falls back to the reconstruction error with a note below the window minimum, and not above it', async () => {
    const dir = tempDir();
    const notes: string[] = [];
    // 40 rows, window 16, 40 % held out: 9 fitted windows, 16 held out.
    const tiny = await trainModel({ data: pumpSeries(40, 3).series, out: `${dir}/tiny`, window: 16, validationSplit: 0.4, epochs: 2, backend: 'wasm', onNote: (n) => notes.push(n) });
    tiny.model.dispose();
    expect(tiny.card.training.trainWindows as number).toBeLessThan(MIN_MAHALANOBIS_WINDOWS);
    expect(tiny.card.scoring.error).toBe('mse');
    expect(notes.some((n) => /scoring by the reconstruction error/.test(n))).toBe(true);
    // Its bar, a tail fit over a handful of held-out windows, is said to be unreliable (a probe: unsaid).
    expect(notes).toContainEqual(expect.stringMatching(/^the threshold is calibrated on 16 held-out window\(s\) \(a tail fit wants 100 or more\): expect it to be misplaced; train on more rows or a larger --validation-split$/));
    const enough = await trainModel({ data: pumpSeries(60, 3).series, out: `${dir}/enough`, window: 16, epochs: 2, backend: 'wasm' });
    enough.model.dispose();
    expect(enough.card.training.trainWindows as number).toBeGreaterThanOrEqual(MIN_MAHALANOBIS_WINDOWS);
    expect(enough.card.scoring.error).toBe('mahalanobis');
  }, 60_000);

  it('refuses to place a threshold on fewer than 10 windows, saying what gives more (a probe: --stride 1000 exported a model on 1)', async () => {
    const dir = tempDir();
    const series = pumpSeries(400, 3).series;
    await expect(trainModel({ data: series, out: `${dir}/strided`, window: 16, stride: 1000, epochs: 2, backend: 'wasm' })).rejects.toThrow(/0 window\(s\) to calibrate the threshold on \(400 rows, window 16, stride 1000, the last 20 % held out\)|1 window\(s\) to calibrate the threshold on \(400 rows, window 16, stride 1000\); expected at least 10: train on more rows, a smaller --stride \(1000\) or a larger --validation-split/);
    await expect(trainModel({ data: pumpSeries(30, 3).series, out: `${dir}/tiny`, window: 16, epochs: 2, backend: 'wasm' })).rejects.toThrow(/6 window\(s\) to calibrate the threshold on \(30 rows, window 16, stride 1, the last 20 % held out\); expected at least 10: train on more rows or a larger --validation-split$/);
    await expect(trainModel({ data: series, out: `${dir}/zero`, stride: 0, epochs: 2, backend: 'wasm' })).rejects.toThrow(/--stride must be an integer >= 1, got 0/);
    // Named as typed on the command line (it said --batchSize).
    await expect(trainModel({ data: series, out: `${dir}/batch`, batchSize: 0, epochs: 2, backend: 'wasm' })).rejects.toThrow(/--batch-size must be an integer >= 1, got 0/);
    await expect(trainModel({ data: series, out: `${dir}/mask`, arch: 'denoising', noiseKind: 'mask', noise: 1, epochs: 2, backend: 'wasm' })).rejects.toThrow(/--noise-kind mask drops each input with probability --noise, which must be in \(0, 1\), got 1/);
  }, 60_000);
});

describe("the card's training losses", () => {
  it("are the exported (best) epoch's, not the last epoch's (a probe: the card said 0.7248 / 0.9400 for weights of 0.9355)", async () => {
    const dir = tempDir();
    const t = await trainModel({ data: pumpSeries(400, 3).series, out: `${dir}/early`, window: 16, epochs: 40, patience: 2, learningRate: 0.05, backend: 'wasm' });
    t.model.dispose();
    const tr = t.card.training as Record<string, number>;
    const best = t.fit.history.find((h) => h.epoch === t.fit.bestEpoch)!;
    const last = t.fit.history[t.fit.history.length - 1];
    // The run stopped after its best epoch, so the two differ.
    expect(tr.bestEpoch).toBeLessThan(tr.epochs);
    expect(tr.valLoss).toBe(best.valLoss);
    expect(tr.valLoss).toBe(tr.bestLoss);
    expect(tr.loss).toBe(best.loss);
    expect(tr.lastEpochValLoss).toBe(last.valLoss);
    expect(tr.lastEpochLoss).toBe(last.loss);
  }, 60_000);
});

describe('settings that make a weak detector', () => {
  it('are said (no bottleneck, no held-out share, bce) or refused (--base on an architecture with its own body)', async () => {
    const dir = tempDir();
    const data = pumpSeries(300, 3).series;
    const notesOf = async (o: Partial<Parameters<typeof trainModel>[0]>) => {
      const notes: string[] = [];
      const t = await trainModel({ data, out: `${dir}/m`, window: 16, epochs: 1, backend: 'wasm', ...o, onNote: (n) => notes.push(n) });
      t.model.dispose();
      return notes;
    };
    const C = data.channels.length;
    expect(await notesOf({ arch: 'dense', code: 16 * C })).toContainEqual(expect.stringMatching(new RegExp(`^--code ${16 * C} is no bottleneck for windows of 16 x ${C} = ${16 * C} values`)));
    expect(await notesOf({ validationSplit: 0 })).toContainEqual(expect.stringMatching(/^--validation-split 0: the threshold is calibrated on windows the model was fitted to/));
    expect(await notesOf({ arch: 'dense', loss: 'bce' })).toContainEqual(expect.stringMatching(/^--loss bce: live values outside the training range clip to 0 or 1/));
    expect((await notesOf({})).filter((n) => /bottleneck|validation-split 0|--loss bce/.test(n))).toEqual([]);
    await expect(trainModel({ data, out: `${dir}/b`, arch: 'conv', base: 'dense', epochs: 1, backend: 'wasm' })).rejects.toThrow(/--base dense applies to --arch denoising, sparse \(their body\); --arch conv is conv through and through/);
  }, 60_000);
});
