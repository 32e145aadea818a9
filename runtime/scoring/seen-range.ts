/**
 * Where each channel was in training (`scoring.seen`), so that an alert says when its window's inputs are somewhere
 * training never went. A model trained on a short run (400 rows at 1 Hz, 80 minutes of a pumping station) knows one
 * or two operating points; the first pump staging, set-point change or warmer afternoon after it scores at 30-800x
 * the bar and stays there (held-out probes: a SKAB-like rig, a booster station, 2026-12-06). The model cannot tell an
 * operating point it never saw from a fault, and neither can its score; what it can tell the operator is the fact:
 * "speed_hz 47.3, trained 42.1 to 44.0". An operator reads that as a question (a new duty, or a fault?) and has an
 * answer for it (`vigil adapt` on the new operating point, once it is known to be normal), where a bare 400x reads as
 * an emergency or, after the tenth time, as noise.
 *
 * It judges what the score weighs: the mean of each channel's last `span` rows of a window (scaled units, as
 * measured, before any input offset), against the lowest and highest such mean over the training and held-out
 * windows, widened by SEEN_MARGIN of that range on each side. A channel that climbed through training
 * (`tracking.trend`: a pump's temperature while the rig heats up) is expected to leave the range, and its offset
 * follows the climb: it is judged as the model sees it, with its offset, so only a climb the follower could not keep
 * up with is outside. It never changes a score, and it is not a cause (a
 * window can be outside and stuck); it rides along with the window to its alert (`AlertEvent.outside`).
 */
import type { Scoring } from '../model/card.ts';
import { followsClimb } from './trained-level.ts';

/** What the card stores: per channel, the lowest and highest span mean of the training windows (scaled units). */
export interface SeenRange {
  low: number[];
  high: number[];
  method: string;
}

/**
 * How far past the trained range a span mean must be to count as outside it, as a share of the range: a quarter. A
 * noisy channel's span means over a few hundred training windows reach about 2.5 of their sd either side, and the
 * next thousand windows' a little more (3 sd is the extreme of a few thousand): a quarter of a 5-sd range, 1.25 sd,
 * keeps noise inside; an operating point or a heating that moved a channel by a third of its trained range more is
 * outside. A channel constant in training (range 0) is outside as soon as it moves.
 */
export const SEEN_MARGIN = 0.25;

/** Absolute slack (scaled units) for a channel constant in training: float32 rounding is not a move. */
const SEEN_EPSILON = 1e-6;

/**
 * The span means of window i (N x W x C) into `out` (C), each plus `applied[i * C + c]` when given, but on channels
 * whose offset follows a climb the card expects (trained-level.ts `followsClimb`).
 */
function spanMeans(input: Float32Array, i: number, W: number, C: number, span: number, out: Float64Array, applied?: Float64Array, trend?: readonly number[]): void {
  out.fill(0);
  const base = i * W * C;
  for (let t = W - span; t < W; t++) for (let c = 0; c < C; c++) out[c] += input[base + t * C + c];
  for (let c = 0; c < C; c++) out[c] = out[c] / span + (applied && !followsClimb(trend, c) ? applied[i * C + c] : 0);
}

/** The seen range of N windows (N x W x C, scaled): per channel, the lowest and highest span mean. */
export function fitSeen(data: Float32Array, n: number, W: number, C: number, span: number, source: string): SeenRange {
  const low = new Array<number>(C).fill(Infinity);
  const high = new Array<number>(C).fill(-Infinity);
  const m = new Float64Array(C);
  const s = Math.min(span, W);
  for (let i = 0; i < n; i++) {
    spanMeans(data, i, W, C, s, m);
    for (let c = 0; c < C; c++) {
      if (m[c] < low[c]) low[c] = m[c];
      if (m[c] > high[c]) high[c] = m[c];
    }
  }
  return {
    low: low.map((v) => (Number.isFinite(v) ? v : 0)),
    high: high.map((v) => (Number.isFinite(v) ? v : 0)),
    method: `lowest and highest mean of each channel's last ${s} row(s) over the ${n} ${source} windows (scaled units); outside: beyond either by more than ${SEEN_MARGIN} of the range`,
  };
}

/** Windows of a batch whose inputs are outside the seen range: per window 1 or 0, and the span means (N x C) of those. */
export interface Outside {
  any: Uint8Array;
  /** Span means (scaled) of the channels outside, NaN for those inside; rows of windows not `any` are all NaN. */
  values: Float32Array;
}

/**
 * Which windows of a batch (N x W x C, scaled, shifted by `applied` when its inputs were: input-offsets.ts) have a
 * channel outside the card's seen range, or undefined when none has (or the card has no range): allocated only then.
 */
export function outsideSeen(input: Float32Array, n: number, W: number, C: number, scoring: Pick<Scoring, 'span' | 'seen' | 'residual'>, applied?: Float64Array): Outside | undefined {
  const seen = scoring.seen;
  if (!seen || seen.low.length !== C) return undefined;
  const span = Math.min(scoring.span, W);
  const trend = scoring.residual?.tracking?.trend;
  const m = new Float64Array(C);
  let out: Outside | undefined;
  for (let i = 0; i < n; i++) {
    spanMeans(input, i, W, C, span, m, applied, trend);
    for (let c = 0; c < C; c++) {
      const slack = SEEN_MARGIN * (seen.high[c] - seen.low[c]) + SEEN_EPSILON;
      if (!(m[c] < seen.low[c] - slack || m[c] > seen.high[c] + slack)) continue;
      out ??= { any: new Uint8Array(n), values: new Float32Array(n * C).fill(NaN) };
      out.any[i] = 1;
      out.values[i * C + c] = m[c];
    }
  }
  return out;
}

/** A channel outside the seen range, in the channel's own units: its span mean, and the range training saw. */
export interface OutsideChannel {
  channel: string;
  value: number;
  low: number;
  high: number;
}

/**
 * The channels of a window's `outside` (C span means, scaled, NaN inside) in the card's units, farthest outside
 * first (in trained ranges, a range of less than one scaled unit counted as one), or undefined when the card has no
 * seen range.
 */
export function outsideChannels(outside: Float32Array, card: { channels: string[]; scaler: { offset: number[]; scale: number[] }; scoring: Pick<Scoring, 'seen'> }): OutsideChannel[] | undefined {
  const seen = card.scoring.seen;
  if (!seen) return undefined;
  const { offset, scale } = card.scaler;
  const unscaled = (v: number, c: number) => v * scale[c] + offset[c];
  const far = (c: number) => {
    const v = outside[c];
    // In ranges, floored at one scaled unit (the scaler's sd, itself floored for a channel constant in training): a
    // one-step move of a constant setpoint must not outrank a channel ten ranges out.
    return (v < seen.low[c] ? seen.low[c] - v : v - seen.high[c]) / Math.max(seen.high[c] - seen.low[c], 1);
  };
  const which: number[] = [];
  for (let c = 0; c < outside.length && c < card.channels.length; c++) if (!Number.isNaN(outside[c])) which.push(c);
  return which.sort((a, b) => far(b) - far(a)).map((c) => ({ channel: card.channels[c], value: unscaled(outside[c], c), low: unscaled(seen.low[c], c), high: unscaled(seen.high[c], c) }));
}
