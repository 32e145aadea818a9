/**
 * The baselines' column of the quality bench: fit evaluate/baselines once per training set and score every
 * run of it, row by row.
 */
import { fitBaselines, runBaselines, type BaselineOptions, type BaselineRun, type FittedBaseline } from '../../evaluate/baselines/index.ts';
import type { LabelledRun } from './labelled-run.ts';

/** Per baseline name, per run id: the baseline's scores and verdicts. */
export type BaselineVerdicts = Map<string, Map<string, BaselineRun>>;

/** Run every baseline on every run; fitted once per `trainKey`. */
export function runBaselinesOn(runs: LabelledRun[], options: BaselineOptions = {}): BaselineVerdicts {
  const fitted = new Map<string, FittedBaseline[]>();
  const out: BaselineVerdicts = new Map();
  for (const r of runs) {
    let f = fitted.get(r.trainKey);
    if (!f) {
      f = fitBaselines({ data: r.train.data, channels: r.train.channels.length }, options);
      fitted.set(r.trainKey, f);
    }
    for (const b of runBaselines(f, { data: r.test.data, channels: r.test.channels.length })) {
      if (!out.has(b.name)) out.set(b.name, new Map());
      out.get(b.name)!.set(r.id, b);
    }
  }
  return out;
}
