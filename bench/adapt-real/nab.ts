/**
 * NAB in bench/adapt-real.ts: per file, the model `vigil evaluate nab --detector vigil` trains (nab-detector.ts
 * modelErrors, default config: an autoencoder on the probationary rows), then the whole file streamed through the
 * runtime as one sensor, adaptation off and on, and each run's per-window scores calibrated and scored exactly as the
 * detector's (nab-detector.ts calibrate, then evaluate/nab's scorer: standard, reward low FP, reward low FN).
 * The detector's own scores (scoreSeries, what `vigil evaluate nab` writes) are the reference; adaptation off must
 * give the same errors (the largest difference is reported). `vigil adapt` replays the probationary rows: the
 * detector trains from memory, so its card names no training file, and they are written to a CSV for `adapt.replay`
 * (less any row that repeats an earlier timestamp, as the runtime drops it).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunConfigInput } from '@vigil/runtime/config/schema.ts';
import { defaultNabRoot, loadNabCorpus } from '../../evaluate/nab/corpus.ts';
import { scoreDetector, type DetectorScores } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { calibrate, modelErrors, withTimeFeatures } from '../../evaluate/detector/nab-detector.ts';
import { parseNabDetectorConfig } from '../../evaluate/detector/nab-config.ts';
import { streamThroughRuntime, writeReplay } from '@vigil/evaluate/detector/nab-adapt.ts';
import type { Decision } from '@vigil/evaluate/detector/runtime-gateway.ts';

/** NAB scores of one way of running the detector. */
export interface NabMode {
  method: string;
  standard: number;
  lowFP: number;
  lowFN: number;
}

/** Per file: what adaptation did, and how far adaptation-off's errors are from the detector's. */
export interface NabFileRun {
  path: string;
  rows: number;
  window: number;
  maxDiffOff: number;
  decisions: Record<string, number>;
  versions: string;
  seconds: { off: number; on: number };
  detail: Decision[];
}

/** The NAB comparison over `files`. */
export interface NabResult {
  files: string[];
  windows: number;
  modes: NabMode[];
  perFile: NabFileRun[];
}

/** Run the comparison on the NAB files whose path contains one of `only` (all files when undefined). */
export async function nabAdapt(o: { work: string; brokerUrl: string; only?: string[]; root?: string; adapt: (dir: string, replay: string) => RunConfigInput['adapt']; log: (l: string) => void }): Promise<NabResult> {
  const corpus = loadNabCorpus(o.root ?? defaultNabRoot(), o.only ? { only: o.only } : {});
  const cfg = parseNabDetectorConfig({});
  const scores = { detector: new Map(), off: new Map(), on: new Map() } as Record<'detector' | 'off' | 'on', DetectorScores>;
  const perFile: NabFileRun[] = [];
  for (const [i, f] of corpus.files.entries()) {
    const name = basename(f.path, '.csv');
    const dir = join(o.work, 'nab', name);
    mkdirSync(dir, { recursive: true });
    const probation = probationaryLength(f.values.length);
    const m = await modelErrors(f, cfg, dir);
    const all = withTimeFeatures(f, cfg.timeFeatures);
    const replay = await writeReplay(dir, all, probation);
    scores.detector.set(f.path, calibrate(m.errors, f.values, probation, cfg.calibration));
    const run: Partial<NabFileRun> = { path: f.path, rows: f.values.length, window: m.window, seconds: { off: 0, on: 0 } };
    for (const adaptation of ['off', 'on'] as const) {
      const at = join(dir, adaptation);
      mkdirSync(at, { recursive: true });
      for (const ext of ['json', 'onnx']) copyFileSync(join(dir, `${name}.${ext}`), join(at, `${name}.${ext}`));
      const g = await streamThroughRuntime(f, all, join(at, name), name, o.brokerUrl, adaptation === 'on' ? o.adapt(at, replay) : { enabled: false }, o.log);
      run.seconds![adaptation] = g.seconds;
      scores[adaptation].set(f.path, calibrate(g.errors, f.values, probation, cfg.calibration));
      if (adaptation === 'off') run.maxDiffOff = g.errors.reduce((d, e, r) => Math.max(d, Math.abs(e - m.errors[r])), 0);
      else {
        run.decisions = g.decisions;
        run.versions = `v1 -> v${g.version}`;
        run.detail = g.detail;
      }
    }
    perFile.push(run as NabFileRun);
    o.log(`nab [${i + 1}/${corpus.files.length}] ${f.path}: ${f.values.length} rows, window ${m.window}, off = detector within ${run.maxDiffOff!.toExponential(1)}; on: ${JSON.stringify(run.decisions)}, ${run.versions} (${run.seconds!.on.toFixed(0)} s)`);
  }
  const mode = (method: string, s: DetectorScores): NabMode => {
    const p = scoreDetector(corpus, s, method).profiles;
    return { method, standard: p.standard.normalized, lowFP: p.reward_low_FP_rate.normalized, lowFN: p.reward_low_FN_rate.normalized };
  };
  return {
    files: corpus.files.map((f) => f.path),
    windows: corpus.files.reduce((n, f) => n + f.windows.length, 0),
    modes: [mode('vigil evaluate nab --detector vigil', scores.detector), mode('runtime, adaptation off', scores.off), mode('runtime, adaptation on', scores.on)],
    perFile,
  };
}
