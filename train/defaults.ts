/**
 * Every training option, its default and its help text, in one table shared by `vigil train` and
 * `trainModel()`. Why each default was chosen is in train/README.md.
 */
import { ARCHITECTURES } from './models/architectures.ts';

/** One option: CLI flag, default, and the help a person can act on. */
export interface OptionRow {
  flag: string;
  help: string;
  default?: string | number;
}

/** The table: key = TrainOptions field. */
export const OPTION_TABLE = {
  data: { flag: '--data <csv>', help: 'training CSV: header row, first column a timestamp, every other column a numeric channel' },
  out: { flag: '--out <dir/name>', help: 'writes NAME.onnx, NAME.json (model card) and NAME.loss.svg into DIR' },
  arch: { flag: '--arch <name>', help: ARCHITECTURES.join(' | '), default: 'conv' },
  window: { flag: '--window <steps>', help: 'window length in rows (at 1 Hz: seconds of context per decision)', default: 32 },
  stride: { flag: '--stride <rows>', help: 'rows between training windows (default: 1 up to 4,000 rows, then rows/4000 so an epoch stays ~4k windows)' },
  epochs: { flag: '--epochs <n>', help: 'maximum epochs (early stopping usually ends sooner)', default: 150 },
  batchSize: { flag: '--batch-size <n>', help: 'windows per gradient step', default: 64 },
  learningRate: { flag: '--lr <rate>', help: 'Adam learning rate', default: 0.002 },
  patience: { flag: '--patience <epochs>', help: 'stop after this many epochs without a 1 % better validation loss (the best epoch is kept)', default: 10 },
  code: { flag: '--code <size>', help: 'bottleneck: dense code units, or conv code channels (default: conv ceil(C/2), dense 8)' },
  hidden: { flag: '--hidden <list>', help: 'encoder widths outermost first, e.g. 128,64 for a deeper stack (default: dense 64, conv 32)' },
  kernel: { flag: '--kernel <n>', help: 'conv kernel length (odd)', default: 5 },
  base: { flag: '--base <body>', help: 'body of denoising/sparse: dense | conv', default: 'conv' },
  loss: { flag: '--loss <kind>', help: 'mse | bce (bce forces min-max scaling and a sigmoid output)', default: 'mse' },
  noise: { flag: '--noise <level>', help: 'denoising: Gaussian std in scaled units (or drop rate with --noise-kind mask)', default: 0.1 },
  noiseKind: { flag: '--noise-kind <kind>', help: 'denoising corruption: gaussian | mask', default: 'gaussian' },
  l1: { flag: '--l1 <weight>', help: 'sparse: weight of the mean |code| penalty', default: 0.001 },
  beta: { flag: '--beta <weight>', help: 'vae: weight of the KL term', default: 1 },
  seed: { flag: '--seed <n>', help: 'seed for init, shuffling and noise: same data + seed + backend = same weights', default: 42 },
  validationSplit: { flag: '--validation-split <fraction>', help: 'last fraction of rows held out (chronologically) for early stopping and calibration', default: 0.2 },
  thresholdRisk: { flag: '--threshold-risk <p>', help: 'static threshold: accepted chance that a normal window scores above it (1e-4 halves false alarms on the pump benchmark at a small cost in recall)', default: 0.001 },
  scaler: { flag: '--scaler <kind>', help: 'per-channel scaling fitted on the training file: standard | minmax (default: standard; minmax with --loss bce)' },
  fill: { flag: '--fill <policy>', help: 'missing/non-numeric cells: error | ffill | zero', default: 'error' },
  span: { flag: '--span <steps>', help: 'trailing rows of the window averaged into the anomaly score (default: 4)' },
  score: { flag: '--score <kind>', help: 'window score: mahalanobis (the span residual against the covariance of the residuals on training windows; mse only) | error (reconstruction error, mse or bce per --loss) | recon-prob (vae only: reconstruction probability, An & Cho 2015); default error with --loss bce', default: 'mahalanobis' },
  track: { flag: '--track <rate>', help: 'mahalanobis: how far a sensor\'s residual mean moves towards each clearly normal window (scoring under half the threshold), so slow normal drift stops alerting; a training run of more than 3,000 rows tracks at 9 / its rows instead, so the trackers remember a ninth of it; 0 = never', default: 0.003 },
  trackDrift: { flag: '--track-drift <on|off>', help: 'mahalanobis with --track: treat each channel\'s residual level as a random walk whose step is estimated from how far it moved between the training and the held-out windows; a channel whose level wandered there weighs less the longer it goes unconfirmed by normal windows, and is followed faster once it is', default: 'on' },
  trackInputs: { flag: '--track-inputs <on|off>', help: 'mahalanobis with --track: shift each sensor\'s inputs by per-channel offsets that follow its residual at the same rate, learnt from the same clearly normal windows, so a channel drifting out of the trained range (a temperature following the ambient) stays in the range the model knows instead of spoiling its reconstruction of the others (models of 2 or more channels)', default: 'on' },
  trackTrend: { flag: '--track-trend <on|off>', help: 'mahalanobis with --track-inputs on: a channel that climbed steadily through the training rows (a straight line explains 90 % of its variance: a temperature while the rig heats up) has its input offset follow its residual in every window, not only the clearly normal ones, by at most its training slope per row, so a climb that goes on at that pace after training stays in the range the model knows while a faster one still shows (independent SKAB-like runs: false alarms 53.9 -> 27.5 %)', default: 'on' },
  trackBack: { flag: '--track-back <on|off>', help: 'mahalanobis with --track: a window over the gate that the trained level (the card\'s means, no learnt input offset) explains a gate better, and puts under the gate, steps the tracked means and offsets an eighth of the way back to it, so a slow fault learnt under the gate does not hold its alert open for days once it ends (an independent chiller: 27.7 -> 0.7 % of normal rows flagged). off: tracked state moves only by learning from windows under the gate', default: 'on' },
  memory: { flag: '--memory <on|off>', help: 'mahalanobis with --track: also score each window by a running average of its residual (a multivariate EWMA over about the last 10 windows, its own limit calibrated on the held-out windows), which sees a small shift that persists but hides in every single window. For a continuous process that holds one steady state (on Tennessee Eastman: detection rate 0.848 -> 0.880 at 1.3 -> 2.0 % false alarms); where residual levels wander or differ between operating points it adds false alarms (pumps 8.4 -> 15.5 %, plant 31.9 -> 41.7 %)', default: 'off' },
  spread: { flag: '--spread <on|off>', help: 'also score each window by how much each channel moves from row to row over the whole window against the training windows (mean square successive difference, its largest one left out; its own limit, at a tenth of the threshold\'s risk, mapped onto the threshold): sees a signal that starts to oscillate or fluctuate faster without moving its level (a valve hunting, a loop gone unstable), which the span residual averages away (Tennessee Eastman: detection rate 0.863 -> 0.915 at 1.3 % false alarms; synthetic pumps: false alarms 7.1 -> 7.7 %)', default: 'on' },
  contamination: { flag: '--contamination <auto|fraction>', help: 'robust fit for rows that hide a few incidents: after a 5-epoch warm-up, each epoch leaves the worst-reconstructed windows (and the windows just before them, whose scored rows they hold) out of the gradient and early stopping; the final ones stay out of the residual model and the threshold, and are listed in NAME.setaside.csv. auto: windows beyond median + 8 MAD of the errors (at most 25 %); a fraction: that share of windows; 0: off (the plain fit)', default: 0 },
  samples: { flag: '--samples <L>', help: 'recon-prob: decoded draws of the code per window (cost: L extra decoder passes)', default: 16 },
  channels: { flag: '--channels <list>', help: 'use only these columns, in this order, comma separated (a name holding a comma in double quotes: \'"Flow, m3/h",temp\') (default: all but label columns: label, anomaly, is_anomaly, changepoint, fault; naming one here makes it a channel)' },
  ignore: { flag: '--ignore <list>', help: 'columns that are not channels (e.g. a setpoint or a counter), comma separated as --channels' },
  ranges: { flag: '--range <CH=MIN:MAX>', help: 'physical range of a channel, e.g. temp=-40:125 (repeatable): recorded in the card, where vigil run and vigil score refuse readings outside it (reason out_of_range) and signal them; a training row outside it is an error' },
  outliers: { flag: '--outliers <policy>', help: 'gross outliers in the training data (a few cells far beyond the rest of their channel, like a historian\'s -9999 or 1e30 sentinel, which would set the scale and threshold and blind the model): error (refuse, naming them) | ffill (carry the last good value over them) | keep', default: 'error' },
  rows: { flag: '--rows <N|FROM:TO>', help: 'train on these data rows only: the first N, or FROM:TO (counted from 0 after the header, TO not included), e.g. --rows 400 for a benchmark that trains on each file\'s first 400 rows; score the whole file afterwards so the trackers walk through the training period as a gateway would' },
  sort: { flag: '--sort', help: 'sort rows by time (a repeated timestamp keeps its first row) instead of failing on the first row out of order' },
  engine: { flag: '--engine <name>', help: 'what computes the gradient steps: auto | onnxruntime | tfjs. onnxruntime trains the exported graph itself with its gradient on ONNX Runtime\'s native CPU kernels (several times faster than tfjs wasm; every architecture); tfjs uses the --backend below. auto: onnxruntime where it loads and the model fits its 16.7 M weights, else tfjs', default: 'auto' },
  threads: { flag: '--threads <n>', help: 'ONNX Runtime threads for the onnxruntime engine (the small models vigil trains gain little from more)', default: 1 },
  backend: { flag: '--backend <name>', help: 'auto | tensorflow | wasm | cpu (auto: fastest that loads)', default: 'auto' },
  quiet: { flag: '--quiet', help: 'no progress bar' },
} as const satisfies Record<string, OptionRow>;

/** Default stride: every row for short files; long files are thinned to ~4,000 (overlapping, redundant) windows. */
export function defaultStride(rows: number): number {
  return Math.max(1, Math.round(rows / 4000));
}

/** Default code size for an architecture body and channel count. */
export function defaultCode(body: 'dense' | 'conv', channels: number): number {
  return body === 'conv' ? Math.max(1, Math.ceil(channels / 2)) : 8;
}

/** Default encoder widths for a body. */
export function defaultHidden(body: 'dense' | 'conv'): number[] {
  return body === 'conv' ? [32] : [64];
}

/**
 * Default scoring span: the last 4 rows of the window, whatever its length. On the injected-anomaly benchmark
 * (bench/train-quality.ts) span 4 gave the best F1 for every conv variant and window 32 and 60; longer spans
 * keep flagging rows after an anomaly ends, span 1 misses short level changes (see train/README.md).
 */
export function defaultSpan(window: number): number {
  return Math.min(4, window);
}
