/**
 * Per-channel scaling fitted on training data only and stored in the model card:
 * `scaled = (x - offset) / scale`. `standard` uses mean/std, `minmax` maps the training range to [0, 1].
 */
import { z } from 'zod';

/** Serialisable scaler parameters, as stored in the model card. */
export const ScalerSchema = z.object({
  kind: z.enum(['standard', 'minmax']),
  offset: z.array(z.number()),
  scale: z.array(z.number()),
});
/** Scaler parameters. */
export type Scaler = z.infer<typeof ScalerSchema>;

/** Smallest scale used, so a constant training channel does not divide by zero. */
const MIN_SCALE = 1e-6;

/** Fit a scaler on row-major data (rows x C). */
export function fitScaler(kind: Scaler['kind'], data: Float32Array, channels: number): Scaler {
  const rows = Math.floor(data.length / channels);
  if (rows === 0) throw new Error('cannot fit a scaler on zero rows');
  const offset = new Array<number>(channels).fill(0);
  const scale = new Array<number>(channels).fill(1);
  for (let c = 0; c < channels; c++) {
    if (kind === 'standard') {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += data[r * channels + c];
      const mean = sum / rows;
      let sq = 0;
      for (let r = 0; r < rows; r++) sq += (data[r * channels + c] - mean) ** 2;
      offset[c] = mean;
      scale[c] = Math.max(Math.sqrt(sq / rows), MIN_SCALE * Math.max(1, Math.abs(mean)));
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < rows; r++) {
        const v = data[r * channels + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      offset[c] = lo;
      scale[c] = Math.max(hi - lo, MIN_SCALE * Math.max(1, Math.abs(lo)));
    }
  }
  return { kind, offset, scale };
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
