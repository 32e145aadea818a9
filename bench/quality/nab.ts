/**
 * NAB in the quality bench: the standard NAB score (evaluate/nab, one threshold per detector for the whole
 * corpus) of vigil's NAB detector (evaluate/detector/nab-detector.ts with its default config, what `vigil evaluate nab
 * --detector vigil` runs) and of the two baselines fitted on each file's probationary rows. NAB's files are
 * univariate, so PCA keeps its one component and reduces to a (non-robust) z^2 against its F limit.
 */
import { mkdirSync } from 'node:fs';
import { fitBaselines, runBaselines } from '../../evaluate/baselines/index.ts';
import { defaultNabRoot, loadNabCorpus } from '../../evaluate/nab/corpus.ts';
import { scoreDetector, type DetectorScores } from '../../evaluate/nab/score.ts';
import { probationaryLength } from '../../evaluate/nab/sweep.ts';
import { detectFile } from '../../evaluate/detector/nab-detector.ts';
import { parseNabDetectorConfig } from '../../evaluate/detector/nab-config.ts';

/** NAB scores of one detector. */
export interface NabRow {
  method: string;
  standard: number;
  lowFP: number;
  lowFN: number;
  description: string;
}

/** Files of a quick NAB check (the same six as bench/nab.ts --quick; not comparable with the board). */
export const NAB_QUICK_FILES = ['art_daily_jumpsup', 'art_daily_flatmiddle', 'ec2_cpu_utilization_5f5533', 'nyc_taxi', 'Twitter_volume_AAPL', 'speed_7578'];

/** Run vigil's NAB detector and the baselines over the corpus (or the quick files) and score them. */
export async function nabScores(o: { workDir: string; quick?: boolean; root?: string; log?: (l: string) => void; seed?: number }): Promise<{ rows: NabRow[]; files: number; seconds: { vigil: number; baselines: number } }> {
  const corpus = loadNabCorpus(o.root ?? defaultNabRoot(), o.quick ? { only: NAB_QUICK_FILES } : {});
  mkdirSync(o.workDir, { recursive: true });
  const cfg = parseNabDetectorConfig(o.seed === undefined ? {} : { model: { seed: o.seed } });
  const vigil: DetectorScores = new Map();
  let t0 = performance.now();
  for (const [i, f] of corpus.files.entries()) {
    vigil.set(f.path, (await detectFile(f, cfg, o.workDir)).scores);
    if ((i + 1) % 10 === 0) o.log?.(`  nab: vigil ${i + 1}/${corpus.files.length} files`);
  }
  const vigilSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const baselines = new Map<string, DetectorScores>();
  for (const f of corpus.files) {
    const train = { data: f.values.subarray(0, probationaryLength(f.values.length)), channels: 1 };
    for (const b of runBaselines(fitBaselines(train), { data: f.values, channels: 1 })) {
      if (!baselines.has(b.name)) baselines.set(b.name, new Map());
      // A monotone map of the limit-normalised score into [0, 1): NAB then picks one level for the whole corpus.
      baselines.get(b.name)!.set(f.path, b.scores.map((s) => s / (1 + s)));
    }
  }
  const baselineSeconds = (performance.now() - t0) / 1000;
  const row = (method: string, s: DetectorScores, description: string): NabRow => {
    const p = scoreDetector(corpus, s, method).profiles;
    return { method, standard: p.standard.normalized, lowFP: p.reward_low_FP_rate.normalized, lowFN: p.reward_low_FN_rate.normalized, description };
  };
  const rows = [row('vigil', vigil, `NAB detector (evaluate/detector/nab-detector.ts, default config${o.seed === undefined ? '' : `, model seed ${o.seed}`}): per file, trained on the probationary rows, scored with scoreSeries, calibrated causally`)];
  for (const [name, s] of baselines) rows.push(row(name, s, `fitted on each file's probationary rows; score = r / (1 + r) with r = score / limit`));
  return { rows, files: corpus.files.length, seconds: { vigil: vigilSeconds, baselines: baselineSeconds } };
}
