/**
 * Training rows that hide incidents, for the robust fit (train/robust.ts): the clean training stretch of the
 * labelled synthetic pumps (fixtures/synthetic-set.ts) with `share` of its rows replaced by the same rows of
 * a run of the simulator that injects faults from the first row. The simulator draws faults from their own
 * random stream, so outside its labels that run is the clean stretch itself: the spliced rows are real simulator
 * faults on the very signal the clean model trains on. Each fault of the faulty run contributes its last rows
 * (the largest part of a drift), its length a fair share of the budget.
 */
import type { Series } from '@vigil/runtime';
import { generateSynthetic } from '../../simulators/index.ts';
import { FAULT_KINDS, SYNTHETIC_SET, type SyntheticPump } from '@vigil/fixtures/synthetic-set.ts';

/** A pump's training rows with faults spliced in. */
export interface ContaminatedTraining {
  train: Series;
  /** Per training row: 1 = faulty. */
  faulty: Uint8Array;
}

/** Contaminate the training stretch of each pump with `share` of faulty rows (deterministic). */
export function contaminate(pumps: SyntheticPump[], share: number): ContaminatedTraining[] {
  const o = SYNTHETIC_SET;
  const dirty = generateSynthetic({
    rows: o.trainRows, sensors: o.sensors, seed: o.seed, types: FAULT_KINDS, anomalyRate: 1 / 150, cleanRows: 0, minGap: 100,
    dayPeriodS: o.dayPeriodS, modeDwellS: o.modeDwellS,
  });
  return pumps.map((p) => {
    const d = dirty.sensors.find((s) => s.id === p.id)!;
    const C = p.train.channels.length;
    const rows = p.train.timestamps.length;
    const data = Float32Array.from(p.train.data);
    const faulty = new Uint8Array(rows);
    let left = Math.round(share * rows);
    d.labels.forEach((l, k) => {
      const len = Math.min(l.endRow - l.startRow + 1, Math.round(left / (d.labels.length - k)));
      for (let r = l.endRow - len + 1; r <= l.endRow; r++) {
        faulty[r] = 1;
        data.set(d.series.data.subarray(r * C, (r + 1) * C), r * C);
      }
      left -= len;
    });
    return { train: { ...p.train, data }, faulty };
  });
}
