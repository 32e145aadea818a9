/**
 * The unit of the quality bench: a labelled test series with the normal series its detectors are fitted on.
 * Every data set loader returns these, so a method (vigil, a baseline, an experiment) is run on any set the same way.
 */
import type { Series } from '@vigil/runtime';

/** A labelled stretch of the test series, rows inclusive. */
export interface RowInterval {
  startRow: number;
  endRow: number;
  type?: string;
  /** Channels the fault moves first-hand, where the set records them (for the alerts' attribution). */
  channels?: string[];
}

/** One labelled run. */
export interface LabelledRun {
  id: string;
  /** Runs with the same key share `train`: a method is fitted once per key and reused across its runs. */
  trainKey: string;
  /** Normal operation only. */
  train: Series;
  test: Series;
  /** Faults, as rows of `test`. */
  events: RowInterval[];
  /** Rows of `test` before this one are not judged (e.g. when `test` starts with the training rows). */
  judgeFrom: number;
}

/** A data set: its runs and how to read its summary. */
export interface LabelledSet {
  name: string;
  title: string;
  runs: LabelledRun[];
  /** Lines for the report: source, protocol. */
  notes: string[];
}
