/**
 * The synthetic pumps of fixtures/synthetic-set.ts: three simulated pumps, 8 channels at 1 Hz, trained on their
 * clean first 1,500 rows; the whole series is scored and judged from the end of the training rows on. `fast`: the
 * same pumps sampled at 10 Hz, as a vibration or current gateway reads them: the process moves ten times less per
 * row and faults last as many rows, so trackers that follow per window follow ten times faster in time.
 */
import { SYNTHETIC_SET, syntheticSet, type SyntheticSetOptions } from '@vigil/fixtures/synthetic-set.ts';
import type { LabelledSet } from './labelled-run.ts';

/**
 * The fast pumps: 10 Hz, 12,000 rows (20 minutes) per pump, trained on the first 3,000 (5 minutes); the field
 * profile's 24 h demand cycle and 1 h operating modes, so the demand wanders over the test (about 15 minutes) further
 * than the training minutes saw, and a mode may change once.
 */
export const FAST_SET: SyntheticSetOptions = {
  sensors: 3, rows: 12_000, trainRows: 3000, seed: 11, anomalyRate: 1 / 1000, minGap: 300, dayPeriodS: 86_400, modeDwellS: 3600, intervalMs: 100,
};

/** The pumps as labelled runs (one model per pump). */
export function pumpsSet(o: SyntheticSetOptions = SYNTHETIC_SET, name = 'pumps'): LabelledSet {
  const runs = syntheticSet(o).map((p) => ({
    id: p.id,
    trainKey: p.id,
    train: p.train,
    test: p.series,
    events: p.labels.map((l) => ({ startRow: l.startRow, endRow: l.endRow, type: l.type, channels: l.channels })),
    judgeFrom: o.trainRows,
  }));
  const hz = 1000 / (o.intervalMs ?? 1000);
  return {
    name,
    title: name === 'pumps' ? 'Synthetic pumps (fixtures/synthetic-set.ts)' : `Synthetic pumps at ${hz} Hz (fixtures/synthetic-set.ts, bench/quality/pumps.ts FAST_SET)`,
    runs,
    notes: [`${runs.length} pumps x ${o.rows} rows at ${hz} Hz, each trained on its clean first ${o.trainRows} rows and judged after them; faults: spike, level shift, drift, variance burst, stuck, broken correlation.`],
  };
}
