/**
 * Per-channel scaling fitted on training data only and stored in the model card:
 * `scaled = (x - offset) / scale`. `standard` uses mean/std, `minmax` maps the training range to [0, 1].
 * A channel constant in training has no spread to scale by: its scale is floored (see `fitScaler`) so that a
 * small later change reads as a modest deviation, not as millions of standard deviations that swamp the
 * other channels' errors.
 */
import { z } from 'zod';

/** Serialisable scaler parameters, as stored in the model card. */
export const ScalerSchema = z.object({
  kind: z.enum(['standard', 'minmax']),
  offset: z.array(z.number()),
  scale: z.array(z.number()),
  /** Indices of channels constant in training whose scale is the floor, not their spread. */
  floored: z.array(z.number().int().nonnegative()).optional(),
  /** How the scale was obtained, when not simply the spread (the floor rule). */
  method: z.string().optional(),
});
/** Scaler parameters. */
export type Scaler = z.infer<typeof ScalerSchema>;

/**
 * A spread at most this fraction of the channel's magnitude (max(1, |centre|)) is no spread: float32 rounding
 * alone moves a value by ~1.2e-7 of itself.
 */
export const CONSTANT_SPREAD = 1e-6;
/** A constant channel's scale: this fraction of the median spread of the channels that vary. */
export const FLOOR_OF_MEDIAN = 0.1;
/** ...or, when no channel varies, this fraction of the channel's magnitude max(1, |centre|). */
export const FLOOR_OF_MAGNITUDE = 0.01;

/** Fit a scaler on row-major data (rows x C). */
export function fitScaler(kind: Scaler['kind'], data: Float32Array, channels: number): Scaler {
  const rows = Math.floor(data.length / channels);
  if (rows === 0) throw new Error('cannot fit a scaler on zero rows');
  const offset = new Array<number>(channels).fill(0);
  const spread = new Array<number>(channels).fill(0);
  const centre = new Array<number>(channels).fill(0);
  for (let c = 0; c < channels; c++) {
    if (kind === 'standard') {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += data[r * channels + c];
      const mean = sum / rows;
      let sq = 0;
      for (let r = 0; r < rows; r++) sq += (data[r * channels + c] - mean) ** 2;
      offset[c] = centre[c] = mean;
      spread[c] = Math.sqrt(sq / rows);
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < rows; r++) {
        const v = data[r * channels + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      offset[c] = lo;
      centre[c] = (lo + hi) / 2;
      spread[c] = hi - lo;
    }
  }
  const magnitude = (c: number) => Math.max(1, Math.abs(centre[c]));
  const floored = spread.flatMap((s, c) => (s <= CONSTANT_SPREAD * magnitude(c) ? [c] : []));
  if (floored.length === 0) return { kind, offset, scale: spread };
  const varying = spread.filter((_, c) => !floored.includes(c)).sort((a, b) => a - b);
  const median = varying.length ? varying[Math.floor((varying.length - 1) / 2)] : 0;
  const scale = spread.slice();
  for (const c of floored) {
    const floor = varying.length ? FLOOR_OF_MEDIAN * median : FLOOR_OF_MAGNITUDE * magnitude(c);
    scale[c] = Math.max(floor, CONSTANT_SPREAD * magnitude(c));
  }
  const what = kind === 'standard' ? 'std' : 'range';
  const rule = varying.length
    ? `${FLOOR_OF_MEDIAN} x the median ${what} of the ${varying.length} varying channel(s) (${median.toPrecision(4)})`
    : `${FLOOR_OF_MAGNITUDE} x max(1, |value|), no channel varied`;
  // The float32 bound can be the larger (a channel riding on 1e8 gets 100): the method says so where it decided a scale
  // (a probe: the card said 0.1 x 2.45 and stored 100).
  const bound = floored.some((c) => scale[c] === CONSTANT_SPREAD * magnitude(c) && CONSTANT_SPREAD * magnitude(c) > 0) ? `, and at least ${CONSTANT_SPREAD} x max(1, |value|) (what float32 resolves)` : '';
  return {
    kind, offset, scale, floored,
    method: `${kind === 'standard' ? 'mean and std' : 'min and range'} per channel; channel(s) ${floored.join(', ')} constant in training, scale floored at ${rule}${bound}`,
  };
}

/** Scale row-major data in place or into `out` (rows x C, or windows N x W x C: channel is the fastest axis). */
export function applyScaler(s: Scaler, data: Float32Array, out: Float32Array = new Float32Array(data.length)): Float32Array {
  const c = s.offset.length;
  for (let i = 0; i < data.length; i++) {
    const j = i % c;
    out[i] = (data[i] - s.offset[j]) / s.scale[j];
  }
  return out;
}

/** Undo scaling (for reconstructed series in original units). */
export function invertScaler(s: Scaler, data: Float32Array, out: Float32Array = new Float32Array(data.length)): Float32Array {
  const c = s.offset.length;
  for (let i = 0; i < data.length; i++) {
    const j = i % c;
    out[i] = data[i] * s.scale[j] + s.offset[j];
  }
  return out;
}
