/**
 * A NAB evaluation as a report: per data file the value, the detector's anomaly score against the profile's
 * optimised threshold, detections (score >= threshold, NAB's rule) and the labelled windows, with the file's
 * NAB score and windows hit beside its name. The dashboard's report writer draws it (`vigil evaluate nab --report`);
 * the dashboard itself knows nothing of NAB.
 */
import type { ReportInput } from '@vigil/dashboard';
import type { NabCorpus } from './corpus.ts';
import type { DetectorScores, NabResult } from './score.ts';

/** Build report input from a scored NAB run; `profile` picks the threshold shown (default `standard`). */
export function nabReportInput(corpus: NabCorpus, scores: DetectorScores, result: NabResult, profile = 'standard'): ReportInput {
  const p = result.profiles[profile];
  if (!p) throw new Error(`NAB result has no profile '${profile}'; it has ${Object.keys(result.profiles).join(', ')}`);
  // A null threshold means the best is to detect nothing: draw it above every score.
  const threshold = p.threshold ?? Infinity;
  const byPath = new Map(p.files.map((f) => [f.path, f]));
  return {
    title: `vigil evaluate nab: ${result.detector}`,
    subtitle: `${result.files} files, ${result.windows} labelled windows; threshold ${p.threshold ?? 'none'} (optimised for the ${profile} profile)`,
    metrics: Object.fromEntries(Object.entries(result.profiles).map(([name, r]) => [`NAB ${name}`, Number(r.normalized.toFixed(1))])),
    maxPoints: 3000,
    logScore: false,
    scoreLabel: 'anomaly score',
    sensors: corpus.files.map((f) => {
      const s = scores.get(f.path);
      if (!s) throw new Error(`no results for ${f.path}; a NAB result needs one file per data file`);
      const fs = byPath.get(f.path);
      const ts = Array.from(f.timestamps);
      return {
        name: f.path,
        channels: ['value'],
        timestamps: ts,
        values: f.values,
        windowTs: ts,
        scores: s,
        thresholds: ts.map(() => threshold),
        anomalies: Array.from(s, (v) => v >= threshold),
        labels: f.windows.map(([a, b]) => ({ start: ts[a], end: ts[b] })),
        metrics: fs ? { 'NAB score': Number(fs.score.toFixed(2)), 'windows hit': `${fs.windowsHit}/${fs.windows}`, 'false positive rows': fs.fp } : undefined,
      };
    }),
    notes: [
      'Detections are rows whose anomaly score reaches the threshold (NAB counts only the first detection in each labelled window; later ones are free, detections outside windows cost).',
      'Blue bands are the labelled anomaly windows from NAB labels/combined_windows.json.',
    ],
  };
}
