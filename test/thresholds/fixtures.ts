/**
 * Labelled synthetic score streams for the threshold suites: reconstruction-error-like noise (lognormal
 * with AR(1) correlation in log space, as overlapping windows give, or gamma), a slow upward drift, and
 * injected spikes and level shifts. Seeded, so every run sees the same streams.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvRecords } from '../../runtime/data/csv-records.ts';
import { confusionRates, countConfusion, firstFlag } from '../../runtime/evaluate/labels/metrics.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import type { Threshold } from '../../runtime/thresholds/threshold.ts';
import { decide } from '../../runtime/thresholds/threshold.ts';
import { mulberry32 } from '../../runtime/util/prng.ts';

/** The runtime's seeded uniform generator (mulberry32), under the name these suites use. */
export { mulberry32 as rng };

/** Standard normal from a uniform generator (Box-Muller). */
export function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape k, scale 1) by Marsaglia-Tsang (k >= 1). */
export function gamma(u: () => number, k: number): number {
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v = (1 + c * x) ** 3;
    if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A labelled stream. */
export interface Stream {
  scores: number[];
  labels: Uint8Array;
  /** Anomalous events, [start, end] inclusive. */
  events: [number, number][];
  /** Index of the first event (everything before it is clean). */
  cleanUntil: number;
}

/** Stream options. */
export interface StreamOptions {
  seed: number;
  n?: number;
  noise?: 'lognormal' | 'gamma';
  /** Relative rise of the baseline over the stream (slow drift). */
  drift?: number;
  /** Lag-1 correlation of the noise (overlapping windows make neighbouring scores alike). */
  phi?: number;
  /** First index where events may start. */
  start?: number;
  /** Log sd of the slow wander of the error level (0: none). */
  wander?: number;
}

/**
 * Baseline noise generator: unit-median lognormal (log sd 0.35, lag-1 correlation `phi`) or gamma(4)/4,
 * times a slowly wandering level (log sd `wander`, correlation 0.998): out-of-sample reconstruction errors
 * of the autoencoders in data/ show both, a fast part like in-sample errors and a slow wander.
 */
export function noiseSource(seed: number, kind: 'lognormal' | 'gamma', phi: number, wander = 0): () => number {
  const u = mulberry32(seed);
  let z = 0;
  let w = 0;
  const rho = 0.998;
  return () => {
    w = rho * w + Math.sqrt(1 - rho * rho) * normal(u);
    const slow = Math.exp(wander * w);
    if (kind === 'gamma') return (slow * gamma(u, 4)) / 4;
    z = phi * z + Math.sqrt(1 - phi * phi) * normal(u);
    return slow * Math.exp(0.35 * z);
  };
}

/** A reconstruction-error-like stream with spikes, level shifts and a slow drift, labelled. */
export function makeStream(o: StreamOptions): Stream {
  const n = o.n ?? 6000;
  const start = o.start ?? 1500;
  const drift = o.drift ?? 0.5;
  const noise = noiseSource(o.seed, o.noise ?? 'lognormal', o.phi ?? 0.6, o.wander ?? 0);
  const u = mulberry32(o.seed * 7919 + 1);
  const scale = 0.02;
  const scores: number[] = [];
  const labels = new Uint8Array(n);
  const mult = new Float64Array(n).fill(1);
  const events: [number, number][] = [];
  // Events laid out left to right with clean gaps between them, alternating kinds.
  let t = start;
  let k = 0;
  while (t < n - 200) {
    const isShift = k % 3 === 2;
    const len = isShift ? 40 + Math.floor(u() * 80) : 1 + Math.floor(u() * 3);
    const factor = isShift ? 2.5 + u() : 4 + 4 * u();
    for (let i = t; i < t + len; i++) {
      mult[i] = factor;
      labels[i] = 1;
    }
    events.push([t, t + len - 1]);
    t += len + 150 + Math.floor(u() * 250);
    k++;
  }
  for (let i = 0; i < n; i++) scores.push(scale * (1 + (drift * i) / n) * noise() * mult[i]);
  return { scores, labels, events, cleanUntil: events[0]?.[0] ?? n };
}

/** A model card carrying only what thresholds read, with error statistics of `train` clean scores. */
export function cardFor(train: number[], staticQuantile = 0.999): Pick<ModelCard, 'errorStats' | 'threshold'> {
  const s = [...train].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / s.length);
  const quantiles: Record<string, number> = {};
  for (const p of [0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) quantiles[String(p)] = q(p);
  const stats = { count: s.length, mean, std, quantiles, max: s[s.length - 1], perChannel: { mean: [mean], std: [std], q99: [q(0.99)] } };
  return { errorStats: { train: stats }, threshold: { default: { kind: 'static' }, static: { value: q(staticQuantile), method: `q${staticQuantile} of training errors` } } };
}

/** Quality of decisions against labels. */
export interface Quality {
  precision: number;
  recall: number;
  f1: number;
  /** Fraction of events with at least one flagged score. */
  eventRecall: number;
  /** Flagged normal scores over normal scores. */
  falseAlarmRate: number;
}

/** Point-wise and event-wise quality of `flags` (scored from `from` on). */
export function quality(s: Stream, flags: ArrayLike<boolean | number>, from = 0): Quality {
  const { precision, recall, f1, falseAlarmRate } = confusionRates(countConfusion(flags, s.labels, from));
  const hit = s.events.filter(([a, b]) => firstFlag(flags, a, b + 1) >= 0).length;
  return { precision, recall, f1, eventRecall: s.events.length ? hit / s.events.length : 1, falseAlarmRate };
}

/** Run a threshold over scores with `decide` (decide, then learn); returns flags and levels. */
export function runStream(t: Threshold, scores: number[], from = 0, to = scores.length): { flags: boolean[]; levels: number[] } {
  const flags: boolean[] = [];
  const levels: number[] = [];
  for (let i = from; i < to; i++) {
    const d = decide(t, scores[i]);
    flags.push(d.anomaly);
    levels.push(d.threshold);
  }
  return { flags, levels };
}

/** One evaluation scenario: a stream and the card its model would carry. */
export interface Scenario {
  name: string;
  stream: Stream;
  card: Pick<ModelCard, 'errorStats' | 'threshold'>;
}

/**
 * The synthetic scenario set: 3 seeds x {lognormal AR(1), gamma} noise, with a slow wander of the level
 * (log sd 0.25) x {card matches live errors, card from training errors 20% below live ones (an autoencoder
 * reconstructs the windows it was fitted on better)}.
 */
export function scenarios(seeds = [1, 2, 3], wander = 0.25): Scenario[] {
  const out: Scenario[] = [];
  for (const noise of ['lognormal', 'gamma'] as const) {
    for (const seed of seeds) {
      const stream = makeStream({ seed, noise, wander });
      const nz = noiseSource(seed + 1000, noise, 0.6, wander);
      const train = Array.from({ length: 1000 }, () => 0.02 * nz());
      out.push({ name: `${noise}-${seed}`, stream, card: cardFor(train) });
      out.push({ name: `${noise}-${seed}-optimistic-card`, stream, card: cardFor(train.map((x) => 0.8 * x)) });
    }
  }
  return out;
}

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');

/**
 * Real reconstruction-error streams: three conv autoencoders scoring simulated pumps with 26 injected faults
 * (see data/README.md). Scores start at the first full window, training rows included.
 */
export function aeScenarios(): Scenario[] {
  const cards = JSON.parse(readFileSync(join(DATA, 'ae-cards.json'), 'utf8')) as Record<string, Pick<ModelCard, 'errorStats' | 'threshold'>>;
  const { records } = csvRecords(gunzipSync(readFileSync(join(DATA, 'ae-scores.csv.gz'))).toString('utf8'), { separator: ',' });
  const by = new Map<string, { scores: number[]; labels: number[] }>();
  for (const [sensor, , score, label] of records.slice(1)) {
    if (!by.has(sensor)) by.set(sensor, { scores: [], labels: [] });
    by.get(sensor)!.scores.push(Number(score));
    by.get(sensor)!.labels.push(Number(label));
  }
  return [...by].map(([name, d]) => {
    const events: [number, number][] = [];
    for (let i = 0; i < d.labels.length; i++) {
      if (d.labels[i] && (i === 0 || !d.labels[i - 1])) events.push([i, i]);
      if (d.labels[i]) events[events.length - 1][1] = i;
    }
    return { name, card: cards[name], stream: { scores: d.scores, labels: Uint8Array.from(d.labels), events, cleanUntil: events[0]?.[0] ?? d.scores.length } };
  });
}
