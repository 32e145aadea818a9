/**
 * `plantSet`: a labelled benchmark set that is hard the way real plants are, for detectors that train on a short
 * clean stretch. Each run is one pump/motor skid (`plant-skid.ts`, 11 coupled channels at 1 Hz) with:
 * - a short training stretch that visits every operating point the test will use (set point changes are normal);
 * - slow normal drift after training, never labelled: ambient temperature, transmitter zero drift, impeller wear;
 * - faults lasting minutes (`plant-faults.ts`), several kinds at severities from subtle to clear, with normal gaps
 *   between them, covering a set share of the test rows.
 * Deterministic for a seed: the skid, its operating schedule, drift and faults each draw from their own stream,
 * so `faults: []` gives the exact healthy twin of every run.
 */
import type { Series } from '@vigil/runtime/data/series.ts';
import { createRng, type Rng } from '@vigil/runtime/util/prng.ts';
import { Skid, SKID_CHANNELS, SKID_COL, noEffects, type OperatingPoint, type SkidChannel, type SkidEffects } from './plant-skid.ts';
import { PLANT_FAULTS, applyFault, type PlantFault, type PlantFaultInstance } from './plant-faults.ts';
import { faultDeck, planFaults, planOperation, type FaultDeck } from './plant-schedule.ts';

/** Everything that defines a plant set; same options, same data. */
export interface PlantSetOptions {
  /** Number of runs (one skid each, its own machine constants). */
  runs: number;
  /** Seed of every random stream. */
  seed: number;
  /** Fault-free rows to train on, at the start of each run. */
  trainRows: number;
  /** Rows after training, with drift and labelled faults. */
  testRows: number;
  /** Milliseconds between readings. */
  intervalMs: number;
  /** Epoch ms of the first training row of the first run; run k starts k days later. */
  start: number;
  /** Operating points per run (distinct speed and flow set points), all visited during training. */
  operatingPoints: number;
  /** Rows spent at one operating point during the test, [min, max]. */
  dwellRows: [number, number];
  /** Labelled share of the test rows aimed at per run, drawn in [min, max] (realised within about ±15 % of it). */
  anomalyShare: [number, number];
  /** Normal rows at the start of the test before any fault (drift only). */
  leadInRows: number;
  /** Normal rows at least between two labelled intervals, and after the last one. */
  minGapRows: number;
  /** Fault kinds drawn, in turn from a shuffled deck shared by all runs so every kind appears; [] = healthy twins. */
  faults: readonly PlantFault[];
}

/** Defaults: 8 runs x (500 train + 3,000 test) rows at 1 Hz, 3 operating points, ~16-27 % of test rows faulty. */
export const PLANT_SET: PlantSetOptions = {
  runs: 8,
  seed: 1,
  trainRows: 500,
  testRows: 3000,
  intervalMs: 1000,
  start: Date.UTC(2024, 0, 1),
  operatingPoints: 3,
  dwellRows: [200, 700],
  anomalyShare: [0.16, 0.27],
  leadInRows: 150,
  minGapRows: 120,
  faults: PLANT_FAULTS,
};

/** One labelled test interval; rows index into `test`, inclusive. */
export interface PlantLabel {
  startRow: number;
  endRow: number;
  /** Fault kind (one of `PLANT_FAULTS`). */
  type: string;
  /** Channels the fault changes first-hand (the flow loop carries some faults on to others). */
  channels: string[];
  /** 0 = weakest of the kind's magnitude range, 1 = strongest. */
  severity: number;
}

/** One run of the set. */
export interface PlantRun {
  id: string;
  train: Series;
  test: Series;
  labels: PlantLabel[];
  /** Operating points of the run (set points the controller tracks). */
  operatingPoints: OperatingPoint[];
}

/** Generate the set; `plantSet()` is the default benchmark. */
export function plantSet(opts: Partial<PlantSetOptions> = {}): PlantRun[] {
  const o: PlantSetOptions = { ...PLANT_SET, ...opts };
  validatePlantOptions(o);
  const deck = faultDeck(createRng(o.seed, 'plant', 'deck'), o.faults);
  return Array.from({ length: o.runs }, (_, i) => generateRun(o, i, deck));
}

/** Slow normal drift of one run after training: ambient, transmitter zero drift, impeller wear. */
interface Drift {
  ambient0: number;
  ambientRise: number;
  sensorDrift: Partial<Record<SkidChannel, number>>;
  wear: number;
}

/** Full-test drift range per transmitter (channel units, sign drawn); flow in fractions of rated flow. */
const SENSOR_DRIFT: Partial<Record<SkidChannel, [number, number]>> = {
  discharge_pressure: [0.01, 0.04],
  suction_pressure: [0.01, 0.03],
  flow: [0.003, 0.01],
  bearing_temp: [0.2, 0.6],
  motor_current: [0.1, 0.25],
};

function drawDrift(r: Rng, qn: number): Drift {
  const names = Object.keys(SENSOR_DRIFT) as SkidChannel[];
  const sensorDrift: Partial<Record<SkidChannel, number>> = {};
  for (let k = 0; k < 2; k++) {
    const ch = names.splice(r.int(0, names.length - 1), 1)[0];
    const [a, b] = SENSOR_DRIFT[ch]!;
    sensorDrift[ch] = (r.uniform() < 0.5 ? -1 : 1) * r.between(a, b) * (ch === 'flow' ? qn : 1);
  }
  return { ambient0: r.between(12, 30), ambientRise: r.between(-3, 6), sensorDrift, wear: r.between(0, 0.01) };
}

function generateRun(o: PlantSetOptions, i: number, deck: FaultDeck): PlantRun {
  const id = `plant-${String(i + 1).padStart(2, '0')}`;
  const skid = new Skid(createRng(o.seed, 'plant', i, 'skid'));
  const ops = planOperation(createRng(o.seed, 'plant', i, 'operation'), skid, o);
  const drift = drawDrift(createRng(o.seed, 'plant', i, 'drift'), skid.qn);
  const faultRng = createRng(o.seed, 'plant', i, 'faults');
  const planned = planFaults(faultRng, deck, o);
  const ambientWander = createRng(o.seed, 'plant', i, 'ambient');
  const C = SKID_CHANNELS.length;
  const total = o.trainRows + o.testRows;
  const data = new Float32Array(total * C);
  const timestamps = new Float64Array(total);
  const row = new Float32Array(C);
  const t0 = o.start + i * 86_400_000;
  skid.settle(ops.schedule[0], drift.ambient0);
  let wander = 0;
  let fault = 0;
  for (let r = 0; r < total; r++) {
    timestamps[r] = t0 + r * o.intervalMs;
    // Ambient wanders by a few tenths of a kelvin; after training it also follows a smooth rise or fall.
    wander = 0.995 * wander + 0.02 * ambientWander.normal();
    const k = r - o.trainRows;
    const progress = k < 0 ? 0 : k / Math.max(1, o.testRows - 1);
    const smooth = progress * progress * (3 - 2 * progress);
    const ambient = drift.ambient0 + wander + drift.ambientRise * smooth;
    const e: SkidEffects = noEffects();
    for (const [ch, d] of Object.entries(drift.sensorDrift)) e.bias[SKID_COL[ch as SkidChannel]] += d! * progress;
    while (fault < planned.length && k >= planned[fault].startRow + planned[fault].fault.causeRows) fault++;
    if (fault < planned.length && k >= planned[fault].startRow) applyFault(planned[fault].fault, k - planned[fault].startRow, e);
    skid.step(ops.schedule[r], ambient, drift.wear * progress, e, row);
    data.set(row, r * C);
  }
  const series = (a: number, b: number): Series => ({
    timestamps: timestamps.slice(a, b), channels: [...SKID_CHANNELS], data: data.slice(a * C, b * C),
  });
  return {
    id,
    train: series(0, o.trainRows),
    test: series(o.trainRows, total),
    labels: planned.map(({ startRow, fault: f }) => toLabel(startRow, f)),
    operatingPoints: ops.points,
  };
}

function toLabel(startRow: number, f: PlantFaultInstance): PlantLabel {
  return { startRow, endRow: startRow + f.labelRows - 1, type: f.type, channels: [...f.channels], severity: f.severity };
}

/** Reject options that cannot make sense, saying what was expected. */
export function validatePlantOptions(o: PlantSetOptions): void {
  const bad = (k: string, want: string, got: unknown) => new Error(`plant set option ${k}: expected ${want}; got ${String(got)}`);
  const int = (k: keyof PlantSetOptions, min: number) => {
    if (!Number.isInteger(o[k]) || (o[k] as number) < min) throw bad(k, `an integer >= ${min}`, o[k]);
  };
  int('runs', 1);
  int('trainRows', 50);
  int('testRows', 100);
  int('operatingPoints', 1);
  int('leadInRows', 0);
  int('minGapRows', 0);
  if (!Number.isFinite(o.seed)) throw bad('seed', 'a number', o.seed);
  if (!(o.intervalMs > 0)) throw bad('intervalMs', 'a positive number of milliseconds', o.intervalMs);
  if (o.operatingPoints > 4) throw bad('operatingPoints', 'at most 4 (one per speed step)', o.operatingPoints);
  const [a, b] = o.anomalyShare;
  if (!(a >= 0 && b >= a && b < 1)) throw bad('anomalyShare', '[min, max] with 0 <= min <= max < 1', o.anomalyShare);
  const [d0, d1] = o.dwellRows;
  if (!(Number.isInteger(d0) && d0 >= 1 && d1 >= d0)) throw bad('dwellRows', '[min, max] integers with 1 <= min <= max', o.dwellRows);
  const unknown = o.faults.filter((f) => !(PLANT_FAULTS as readonly string[]).includes(f));
  if (unknown.length) throw bad('faults', `kinds among ${PLANT_FAULTS.join(', ')}`, unknown.join(', '));
}
