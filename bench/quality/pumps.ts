/**
 * The synthetic pumps of fixtures/synthetic-set.ts: three simulated pumps, 8 channels at 1 Hz, trained on their
 * clean first 1,500 rows; the whole series is scored and judged from the end of the training rows on.
 */
import { SYNTHETIC_SET, syntheticSet, type SyntheticSetOptions } from '@vigil/fixtures/synthetic-set.ts';
import type { LabelledSet } from './labelled-run.ts';

/** The pumps as labelled runs (one model per pump). */
export function pumpsSet(o: SyntheticSetOptions = SYNTHETIC_SET): LabelledSet {
  const runs = syntheticSet(o).map((p) => ({
    id: p.id,
    trainKey: p.id,
    train: p.train,
    test: p.series,
    events: p.labels.map((l) => ({ startRow: l.startRow, endRow: l.endRow, type: l.type })),
    judgeFrom: o.trainRows,
  }));
  return {
    name: 'pumps',
    title: 'Synthetic pumps (fixtures/synthetic-set.ts)',
    runs,
    notes: [`${runs.length} pumps x ${o.rows} rows at 1 Hz, each trained on its clean first ${o.trainRows} rows and judged after them; faults: spike, level shift, drift, variance burst, stuck, broken correlation.`],
  };
}
