/**
 * Training on rows that hide a few incidents (`vigil train --contamination`): rank windows by their reconstruction
 * error, set aside the ones beyond a cut, and keep them out of the gradient, early stopping, the residual model
 * and the threshold calibration. The fit (train/fit.ts) re-ranks every epoch after a warm-up; training
 * (train/train.ts) ranks once more with the final model to decide what the card and NAME.setaside.csv report.
 */
import type { Autoencoder } from './models/autoencoder.ts';

/** `'auto'`: decide from the error distribution; a number: the share of windows to set aside (0 = off). */
export type Contamination = 'auto' | number;

/**
 * The automatic cut: a window is set aside when its error exceeds median + k * MAD (MAD scaled by 1.4826, a
 * standard deviation for Gaussian errors) of its set's errors, at most `cap` of the windows. k = 8: per-window
 * errors of normal windows are right-skewed: on the three clean synthetic pumps of test/quality (conv, 40
 * epochs, plain fit) no window passed median + 8 MAD while k = 5 took up to 30 of 1,169 training windows
 * (unusual but normal operating changes); with 5 % of rows faulty, most faulty windows sit beyond it. The cap keeps a set that is
 * mostly faulty from being trimmed to nothing: past a quarter of the windows, the data is not "normal with a few
 * incidents" and no cut can tell which part is normal.
 */
export const AUTO_CUT = { k: 8, cap: 0.25 } as const;

/** Epochs of plain training before the first ranking: an untrained model's errors rank nothing. */
export const WARMUP_EPOCHS = 5;

/** Largest accepted `--contamination` fraction. */
export const MAX_FRACTION = 0.5;

/** How windows are set aside. */
export interface SetAsideRule {
  contamination: Contamination;
  /**
   * Windows before a window beyond the cut that are set aside with it (the ones whose last rows lie inside it:
   * ceil(window / stride) - 1). A window whose scored span holds only the first rows of a fault ranks low on
   * whole-window error but still scores high, and one such score sets the threshold (calibrateStatic never goes
   * below the largest calibration score). The windows after it hold the fault only in their early rows, outside
   * the scored span, and stay.
   */
  radius: number;
}

/** Which windows of one set were set aside, and why. */
export interface SetAside {
  /** 1 = set aside. */
  mask: Uint8Array;
  /** Windows set aside (the worst ones and the `radius` windows before each). */
  count: number;
  /** Worst windows taken (each with its neighbours). */
  beyond: number;
  /** Lowest error of a worst window taken (Infinity: none). */
  cut: number;
}

/** Validate a contamination setting (a string from the command line, or a value from code). */
export function parseContamination(v: unknown): Contamination {
  if (v === 'auto') return 'auto';
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n >= MAX_FRACTION) {
    throw new Error(`--contamination must be auto or a fraction of windows in [0, ${MAX_FRACTION}) (0 = off), got '${String(v)}'`);
  }
  return n;
}

/** One line for the card and the help: how the cut is chosen. */
export function describeRule(c: Contamination, radius: number): string {
  const each = `worst first, each with the ${radius} windows before it (their scored rows lie inside it)`;
  return c === 'auto'
    ? `windows with error > median + ${AUTO_CUT.k} MAD of their set (training, validation), ${each}, at most ${AUTO_CUT.cap} of the set`
    : `${c} of the windows of each set (training, validation) by error, ${each}`;
}

/** Mean squared error of each window (N x W x C) against its reconstruction. */
export function errorsOf(input: Float32Array, recon: Float32Array, n: number, per: number): Float32Array {
  const e = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * per; k < (i + 1) * per; k++) s += (input[k] - recon[k]) ** 2;
    e[i] = s / per;
  }
  return e;
}

/** Each window's reconstruction error under `model` in inference mode (no noise, no sampling). */
export function windowErrors(model: Autoencoder, data: Float32Array, n: number): Float32Array {
  const per = model.spec.window * model.spec.channels;
  return errorsOf(data, model.predict(data, n), n, per);
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Median + k * MAD of the errors: beyond it a window is an outlier of its set (`AUTO_CUT`). */
export function madCut(errors: Float32Array): number {
  if (errors.length === 0) return Infinity;
  const sorted = Float64Array.from(errors).sort();
  const med = median(sorted);
  const mad = 1.4826 * median(Float64Array.from(sorted, (v) => Math.abs(v - med)).sort());
  return med + AUTO_CUT.k * mad;
}

/**
 * Set aside windows of one set (consecutive windows of one series), worst first, each with the `radius` windows
 * before it, while the total stays within the share allowed (the fraction, or `AUTO_CUT.cap` for auto);
 * auto takes only windows beyond `madCut`.
 */
export function setAside(errors: Float32Array, rule: SetAsideRule): SetAside {
  const n = errors.length;
  const mask = new Uint8Array(n);
  const c = rule.contamination;
  const most = Math.floor((c === 'auto' ? AUTO_CUT.cap : c) * n);
  const cut = c === 'auto' ? madCut(errors) : -Infinity;
  let count = 0;
  let beyond = 0;
  let lowest = Infinity;
  if (most > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => errors[b] - errors[a]);
    for (const i of order) {
      if (!(errors[i] > cut)) break;
      const lo = Math.max(0, i - rule.radius), hi = i + 1;
      let fresh = 0;
      for (let j = lo; j < hi; j++) fresh += mask[j] ? 0 : 1;
      if (count + fresh > most) break;
      mask.fill(1, lo, hi);
      count += fresh;
      beyond++;
      lowest = errors[i];
    }
  }
  return { mask, count, beyond, cut: beyond > 0 ? lowest : Infinity };
}

/** Indices of the windows kept (mask 0). */
export function keptIndices(mask: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (!mask[i]) out.push(i);
  return Int32Array.from(out);
}

/** Rows (of `width` values each) of `data` at `indices`, packed. */
export function gather<T extends Float32Array | Float64Array>(data: T, indices: Int32Array, width: number): T {
  const out = new (data.constructor as new (n: number) => T)(indices.length * width);
  for (let j = 0; j < indices.length; j++) out.set(data.subarray(indices[j] * width, (indices[j] + 1) * width), j * width);
  return out;
}

/** The final ranking of a robust fit: every window's error, and what is set aside in each set. */
export interface RobustOutcome {
  errors: Float32Array;
  train: SetAside;
  val: SetAside;
  /** Both sets' masks over all windows (1 = set aside). */
  mask: Uint8Array;
}

/** Rank every window of a final robust fit by error and set aside each set's worst. */
export function robustSetAside(data: Float32Array, recon: Float32Array, count: number, per: number, nTrain: number, rule: { contamination: Contamination; radius: number }): RobustOutcome {
  const errors = errorsOf(data, recon, count, per);
  const train = setAside(errors.subarray(0, nTrain), rule);
  const val = setAside(errors.subarray(nTrain), rule);
  const mask = new Uint8Array(count);
  mask.set(train.mask, 0);
  mask.set(val.mask, nTrain);
  return { errors, train, val, mask };
}

/** The card's account of the robust fit (training.contamination). */
export function robustRecord(setting: Contamination, radius: number, r: RobustOutcome, nTrain: number, nVal: number) {
  const count = r.train.count + r.val.count;
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    setting,
    method: `trimmed loss: ${describeRule(setting, radius)}; re-ranked each epoch after a ${WARMUP_EPOCHS}-epoch warm-up, then once with the final model`,
    setAside: count,
    fraction: count / Math.max(1, nTrain + nVal),
    training: { setAside: r.train.count, windows: nTrain, cut: finite(r.train.cut) },
    validation: { setAside: r.val.count, windows: nVal, cut: finite(r.val.cut) },
    error: 'mean squared reconstruction error over the whole window, scaled units (NAME.setaside.csv lists each window)',
  };
}
