/**
 * vigil's NAB detector on one real NAB file (art_daily_jumpsup, 4032 rows): scores are valid NAB scores,
 * nothing after a row can change that row's score (no look-ahead), and the labelled jump is found; with adaptation on
 * (config `adapt`) the file goes through the runtime, which adapts and still finds it.
 * Training is small (few epochs) to keep the test near ten seconds on two cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../evaluate/nab/corpus.ts';
import { scoreDetector } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { parseNabDetectorConfig } from '../../evaluate/detector/nab-config.ts';
import { calibrate, detectFile, modelErrors } from '../../evaluate/detector/nab-detector.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';

const cfg = parseNabDetectorConfig({ model: { epochs: 6, patience: 3 } });

describe('vigil NAB detector', () => {
  it('scores every row in [0,1] from the past only, and finds the labelled jump', async () => {
    const corpus = loadNabCorpus(undefined, { only: ['art_daily_jumpsup'] });
    const file = corpus.files[0];
    const n = file.values.length;
    const work = mkdtempSync(join(tmpdir(), 'nab-det-'));
    const run = await detectFile(file, cfg, work);
    expect(run.scores).toHaveLength(n);
    expect(run.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(run.scores.subarray(0, probationaryLength(n)).every((s) => s === 0)).toBe(true);

    // Same file with everything from row `cut` on replaced: rows before `cut` must score identically.
    const cut = 2500;
    const altered = { ...file, values: Float64Array.from(file.values, (v, i) => (i >= cut ? -3 * v + 100 : v)) };
    const other = await detectFile(altered, cfg, work);
    expect(Array.from(other.scores.subarray(0, cut))).toEqual(Array.from(run.scores.subarray(0, cut)));
    expect(Array.from(other.scores.subarray(cut))).not.toEqual(Array.from(run.scores.subarray(cut)));

    const r = scoreDetector(corpus, new Map([[file.path, run.scores]]), 'vigil').profiles.standard;
    expect(r.counts.windowsHit).toBe(1);
    expect(r.normalized).toBeGreaterThan(50);
  });

  it('with adaptation on streams the file through the runtime, which adapts as it goes and still finds the jump', async () => {
    const corpus = loadNabCorpus(undefined, { only: ['art_daily_jumpsup'] });
    const file = corpus.files[0];
    const n = file.values.length;
    const on = parseNabDetectorConfig({ model: { epochs: 6, patience: 3 }, adapt: true });
    const broker = await startBroker();
    const dirs = [mkdtempSync(join(tmpdir(), 'nab-adapt-')), mkdtempSync(join(tmpdir(), 'nab-adapt-'))];
    try {
      const run = await detectFile(file, on, dirs[0], broker.url);
      expect(run.provider).toMatch(/cpu|wasm/);
      const d = run.adaptation!.decisions;
      // Attempts ran (every minNewWindows windows) and at least one was taken: a new version serves at the end.
      expect(d.adapted + d.refused).toBeGreaterThan(1);
      expect(d.adapted).toBeGreaterThan(0);
      expect(Number(run.adaptation!.version)).toBeGreaterThan(1);
      expect(d.failed).toBe(0);
      expect(run.scores).toHaveLength(n);
      expect(run.scores.every((s) => s >= 0 && s <= 1)).toBe(true);
      // Not the offline scores of the trained model (the same seed trains the same weights): the runtime's, of the
      // versions adaptation swapped in.
      const offline = await modelErrors(file, on, dirs[1]);
      expect(Array.from(run.scores)).not.toEqual(Array.from(calibrate(offline.errors, file.values, probationaryLength(n), on.calibration)));
      const r = scoreDetector(corpus, new Map([[file.path, run.scores]]), 'vigil').profiles.standard;
      expect(r.counts.windowsHit).toBe(1);
    } finally {
      await broker.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
