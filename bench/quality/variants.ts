/**
 * Named departures from vigil's defaults, for scoring experiments (bench/quality/try-variants.ts). Each says what it
 * changes; the outcome of each on TEP / pumps / plant is in bench/results/quality/VARIANTS.md. A variant becomes a
 * default only when the quality bench improves on every data set (issue 13), never to fit one.
 */
import type { ModelCard } from '@vigil/runtime';
import type { AlertPolicy } from '../../runtime/alerts/tracker.ts';
import type { VigilVariant } from './vigil.ts';

/** One experiment: a name, what it changes, and the change. */
export interface NamedVariant extends VigilVariant {
  name: string;
  what: string;
  /** The alert policy its `score` flags set, so the bar sweep replays alerts under the same policy. */
  policy?: Partial<AlertPolicy>;
}

/** `vigil score --alert-open k/n --alert-close m`, with the policy it sets. */
const openAfter = (k: number, n: number, m = 3): NamedVariant => ({
  name: `open-${k}of${n}${m === 3 ? '' : `-close-${m}`}`,
  what: `vigil score --alert-open ${k}/${n} --alert-close ${m}`,
  score: ['--alert-open', `${k}/${n}`, '--alert-close', String(m)],
  policy: { openK: k, openN: n, closeM: m },
});

type Tracking = { rate: number; below: number };
const residualOf = (c: ModelCard) => {
  const r = c.scoring.residual;
  if (!r) throw new Error(`card ${c.name}: no scoring.residual (the variant needs mahalanobis scoring)`);
  return r;
};
/** Residual mean tracking at `rate`, learning from windows under `gate` x the static threshold (0: never). */
const tracking = (rate: number, gate: number) => (c: ModelCard) => {
  const r = residualOf(c);
  if (rate <= 0) delete r.tracking;
  else r.tracking = { rate, below: gate * c.threshold.static.value } satisfies Tracking;
};

/** Input offsets (`tracking.input`) learnt at `rate` per window, from windows under `gate` x the static threshold. */
const inputTracking = (rate: number, gate?: number) => (c: ModelCard) => {
  const t = residualOf(c).tracking;
  if (!t?.input) throw new Error(`card ${c.name}: no scoring.residual.tracking.input (the variant needs --track-inputs on)`);
  t.input = rate;
  if (gate !== undefined) t.below = gate * c.threshold.static.value;
};

export const VARIANTS: NamedVariant[] = [
  { name: 'defaults', what: 'vigil train / vigil score with no flags (the bench column)' },
  { name: 'no-tracking', what: 'residual means stay as trained', card: tracking(0, 0) },
  { name: 'no-track-inputs', what: 'vigil train --track-inputs off (the default before 2026-12-04): inputs reach the model as measured', train: { trackInputs: 'off' } },
  ...[7, 99].flatMap((seed) => [
    { name: `seed-${seed}`, what: `vigil train --seed ${seed}`, train: { seed } },
    { name: `seed-${seed}-no-track-inputs`, what: `vigil train --seed ${seed} --track-inputs off`, train: { seed, trackInputs: 'off' as const } },
    { name: `seed-${seed}-memory`, what: `vigil train --seed ${seed} --memory on`, train: { seed, memory: 'on' as const } },
  ]),
  { name: 'track-0.01-gate-1x', what: 'tracking rate 0.01 per window, learning below 1x the threshold', card: tracking(0.01, 1) },
  { name: 'track-0.003-gate-1x', what: 'tracking rate 0.003 (default), learning below 1x the threshold', card: tracking(0.003, 1) },
  ...[0.01, 0.03, 0.1].map((rate) => ({ name: `inputs-${rate}`, what: `input offsets learnt at ${rate} per window (default 0.003)`, card: inputTracking(rate) })),
  ...[0.001, 0.0003].map((rate) => ({ name: `rates-${rate}`, what: `residual means and input offsets learnt at ${rate} per window (default 0.003 each)`, card: (c: ModelCard) => { inputTracking(rate)(c); residualOf(c).tracking!.rate = rate; } })),
  ...[0.01, 0.03].map((rate) => ({ name: `inputs-${rate}-gate-1x`, what: `input offsets learnt at ${rate} per window, from windows under 1x the threshold`, card: inputTracking(rate, 1) })),
  { name: 'learn-always', what: 'diagnostic: the trackers learn from every window, the gate off (faults are learnt too)', card: (c: ModelCard) => { residualOf(c).tracking!.below = Number.MAX_VALUE; } },
  { name: 'memory', what: 'vigil train --memory on: each window also scored by a running average of its residual', train: { memory: 'on' as const } },
  { name: 'no-spread', what: 'vigil train --spread off (the default before 2026-12-05): no residual spread beside the window score', train: { spread: 'off' as const } },
  { name: 'no-track-drift', what: 'vigil train --track-drift off (the default before 2026-12-04)', train: { trackDrift: 'off' } },
  { name: 'window-16', what: 'vigil train --window 16', train: { window: 16 } },
  { name: 'window-64', what: 'vigil train --window 64', train: { window: 64 } },
  ...[1, 2, 8, 16].map((span) => ({ name: `span-${span}`, what: `vigil train --span ${span} (rows the score weighs at the end of each window)`, train: { span } })),
  { name: 'code-2', what: 'vigil train --code 2', train: { code: 2 } },
  { name: 'code-1', what: 'vigil train --code 1', train: { code: 1 } },
  { name: 'denoising', what: 'vigil train --arch denoising', train: { arch: 'denoising' } },
  { name: 'dense', what: 'vigil train --arch dense', train: { arch: 'dense' } },
  { name: 'dense-code-3', what: 'vigil train --arch dense --code 3', train: { arch: 'dense', code: 3 } },
  { name: 'risk-1e-4', what: 'vigil train --threshold-risk 1e-4', train: { thresholdRisk: 1e-4 } },
  ...['spot', 'dspot', 'mad', 'ewma', 'quantile'].map((kind) => ({ name: `threshold-${kind}`, what: `vigil score --threshold ${kind} (adaptive bar, learning gate on)`, score: ['--threshold', kind] })),
  openAfter(1, 1),
  openAfter(2, 3),
  openAfter(3, 5),
  openAfter(5, 10),
  openAfter(3, 5, 10),
  openAfter(1, 1, 10),
  openAfter(2, 3, 10),
  openAfter(5, 10, 5),
  openAfter(5, 10, 10),
  openAfter(3, 5, 30),
  openAfter(2, 3, 30),
];

/** Variants by name; throws naming the known ones. */
export function variantsNamed(names: string[]): NamedVariant[] {
  return names.map((n) => {
    const v = VARIANTS.find((x) => x.name === n);
    if (!v) throw new Error(`unknown variant '${n}'; expected one of ${VARIANTS.map((x) => x.name).join(', ')}`);
    return v;
  });
}
