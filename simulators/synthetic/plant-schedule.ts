/**
 * Schedules of a plant-set run: which operating point the skid runs at on every row (training visits them all,
 * the test only reuses them), and where the faults sit in the test rows (a labelled share drawn per run, normal
 * gaps between faults, a drift-only lead-in).
 */
import type { Rng } from '@vigil/runtime/util/prng.ts';
import type { OperatingPoint, Skid } from './plant-skid.ts';
import { drawFault, type PlantFault, type PlantFaultInstance } from './plant-faults.ts';
import type { PlantSetOptions } from './plant-set.ts';

/** Speed steps of the drive's recipes, as fractions of rated speed. */
const SPEED_STEPS = [0.7, 0.8, 0.9, 1.0];

/** The operating points of a run and the point in force on each of its rows (train then test). */
export interface OperationPlan {
  points: OperatingPoint[];
  schedule: OperatingPoint[];
}

function shuffle<T>(r: Rng, items: T[]): T[] {
  for (let k = items.length - 1; k > 0; k--) {
    const j = r.int(0, k);
    [items[k], items[j]] = [items[j], items[k]];
  }
  return items;
}

/**
 * Draw the run's operating points (distinct speed steps, each with a flow set point the valve reaches between
 * half and 85 % open) and lay them out: training visits each once, in random order, for about equal shares of
 * the training rows; the test then hops between the same points with dwells in `dwellRows`.
 */
export function planOperation(r: Rng, skid: Skid, o: Pick<PlantSetOptions, 'operatingPoints' | 'trainRows' | 'testRows' | 'dwellRows'>): OperationPlan {
  const healthy = { leak: 0, headLoss: 0 };
  const points = shuffle(r, [...SPEED_STEPS]).slice(0, o.operatingPoints).map((speed) => {
    const q = skid.steadyFlow(speed, r.between(0.5, 0.85), healthy);
    return { speed, flow: Math.round(q * skid.qn * 2) / 2 };
  });
  const schedule: OperatingPoint[] = [];
  const weights = points.map(() => r.between(0.85, 1.15));
  const sum = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (const [k, p] of points.entries()) {
    acc += weights[k];
    const end = k === points.length - 1 ? o.trainRows : Math.round((acc / sum) * o.trainRows);
    while (schedule.length < end) schedule.push(p);
  }
  let current = points.length - 1;
  const total = o.trainRows + o.testRows;
  while (schedule.length < total) {
    const dwell = r.int(o.dwellRows[0], o.dwellRows[1]);
    for (let k = 0; k < dwell && schedule.length < total; k++) schedule.push(points[current]);
    if (points.length > 1) current = (current + r.int(1, points.length - 1)) % points.length;
  }
  return { points, schedule };
}

/** A deck of fault kinds, reshuffled whenever it runs out, so kinds are spread evenly over the runs of a set. */
export interface FaultDeck {
  peek(): PlantFault | undefined;
  take(): PlantFault;
}

/** A deck over `kinds` drawing from `r`. */
export function faultDeck(r: Rng, kinds: readonly PlantFault[]): FaultDeck {
  let cards: PlantFault[] = [];
  const refill = () => {
    if (cards.length === 0 && kinds.length > 0) cards = shuffle(r, [...kinds]);
  };
  return {
    peek: () => (refill(), cards[0]),
    take: () => (refill(), cards.shift()!),
  };
}

/** A fault placed in the test rows. */
export interface PlannedFault {
  /** First labelled test row. */
  startRow: number;
  fault: PlantFaultInstance;
}

/**
 * Draw faults from the deck until the run's labelled-row budget (share x testRows) is spent, then spread them
 * with random normal gaps: at least `leadInRows` before the first and `minGapRows` between and after them.
 */
export function planFaults(r: Rng, deck: FaultDeck, o: Pick<PlantSetOptions, 'testRows' | 'anomalyShare' | 'leadInRows' | 'minGapRows'>): PlannedFault[] {
  const budget = r.between(o.anomalyShare[0], o.anomalyShare[1]) * o.testRows;
  const faults: PlantFaultInstance[] = [];
  let used = 0;
  const fits = (extra: number, n: number) => o.leadInRows + used + extra + n * o.minGapRows <= o.testRows;
  while (deck.peek() !== undefined && budget - used >= 60) {
    const f = drawFault(r, deck.peek()!, budget - used);
    if ((faults.length > 0 && used + f.labelRows > budget * 1.15) || !fits(f.labelRows, faults.length + 1)) break;
    deck.take();
    faults.push(f);
    used += f.labelRows;
  }
  const slack = o.testRows - o.leadInRows - used - faults.length * o.minGapRows;
  const weights = Array.from({ length: faults.length + 1 }, () => r.uniform());
  const sum = weights.reduce((a, b) => a + b, 0) || 1;
  const planned: PlannedFault[] = [];
  let row = o.leadInRows;
  for (const [k, f] of faults.entries()) {
    row += Math.floor((weights[k] / sum) * slack) + (k === 0 ? 0 : o.minGapRows);
    planned.push({ startRow: row, fault: f });
    row += f.labelRows;
  }
  return planned;
}
