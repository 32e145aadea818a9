/**
 * Every `vigil adapt` option, its default and its help, in one table shared by the command and `adaptModel()`.
 * Why each default: docs/adapt.md.
 */
import type { OptionRow } from '../defaults.ts';

/** The table: key = AdaptOptions field. */
export const ADAPT_OPTION_TABLE = {
  model: { flag: '--model <dir/name>', help: 'the serving model (DIR/NAME.json + DIR/NAME.onnx) to start from' },
  data: { flag: '--data <csv>', help: 'recent normal operation, same channels as the model (the last --holdout of its rows is held back to validate)' },
  reservoir: { flag: '--reservoir <file>', help: 'instead of --data: the reservoir of clearly normal windows vigil run keeps (adapt.reservoir.file); the latest --holdout of its windows is held back, its alerts are canaries' },
  out: { flag: '--out <dir/name>', help: 'where the adapted pair goes (default: --model, replaced in place; the replaced pair is kept in DIR/NAME.versions/<version>/)' },
  replay: { flag: '--replay <csv>', help: 'the original training data (default: the card\'s training.data, as vigil train recorded it)' },
  canaries: { flag: '--canaries <csv>', help: 'rows of past alerts that must stay flagged: each run of labelled rows (label/anomaly/fault column) is one canary, or the whole file without a label column' },
  reason: { flag: '--reason <text>', help: 'why, recorded in the card\'s lineage', default: 'manual' },
  epochs: { flag: '--epochs <n>', help: 'fine-tuning epochs over recent + replayed windows (bounds the change with --lr)', default: 10 },
  learningRate: { flag: '--lr <rate>', help: 'Adam learning rate of the fine-tuning (a quarter of vigil train\'s default)', default: 0.0005 },
  batchSize: { flag: '--batch-size <n>', help: 'windows per gradient step', default: 64 },
  replayRatio: { flag: '--replay-ratio <r>', help: 'original training windows replayed per recent fine-tuning window', default: 1 },
  holdout: { flag: '--holdout <fraction>', help: 'last fraction of the recent rows held back to validate', default: 0.25 },
  minGain: { flag: '--min-gain <fraction>', help: 'refuse unless the error on the held-back recent windows falls by at least this fraction', default: 0.1 },
  maxRise: { flag: '--max-rise <fraction>', help: 'refuse if the error on the original validation windows rises by more than this fraction', default: 0.25 },
  maxBarRise: { flag: '--max-bar-rise <factor>', help: 'refuse if the new threshold, measured against the original validation windows\' median score under each model, is more than this many times the serving one: the bar rose beyond the model\'s own change of scale, as recent data with a fault or an unusual stretch in it makes it (a probe: 4.55 -> 78.2 from data that held a fouling\'s onset, and the fault then went unseen)', default: 2 },
  maxChange: { flag: '--max-change <fraction>', help: 'refuse if the weights moved by more than this fraction (relative L2 norm): a bound on how far one adaptation may take the model', default: 0.5 },
  canaryShare: { flag: '--canary-share <fraction>', help: 'refuse unless this share of each canary\'s windows (or the share the serving model flagged, if lower) scores above the new threshold', default: 0.5 },
  threshold: { flag: '--threshold <how>', help: 'the adapted model\'s static threshold: refit (recalibrated on the held-back recent and original validation windows, as vigil train does) | keep (the serving model\'s) | auto (keep for mahalanobis scoring on --reservoir windows: its scores are normalised by the refitted residual covariance, and windows selected for scoring under half a threshold cannot calibrate one; refit otherwise)', default: 'auto' },
  anchorAge: { flag: '--anchor-age <ms>', help: 'refuse when the model that served this long (data time) before the recent data flags more than --anchor-share of the recent windows, and name it so the caller can roll back to it (exit 5): change faster than about one threshold per this long is not learnt, so a slow fault stays an alert (train/adapt/anchor.ts); the version that old is kept beside the newest --keep. 0 = off, the default for a person adapting by hand; vigil run passes adapt.anchorAgeMs (24 h)', default: 0 },
  judge: { flag: '--judge <how>', help: 'how the anchor (and the share of recent windows flagged) scores the recent windows: static (each window against the model\'s own trained level) | tracked (as vigil run scores them: each sensor\'s windows in time order with the tracked residual level and input offsets, so a drift tracking follows is not held against the data; docs/adapt.md has why it is not the default)', default: 'static' },
  anchorShare: { flag: '--anchor-share <fraction>', help: 'the most of the recent windows the anchor (see --anchor-age) may flag', default: 0.1 },
  keep: { flag: '--keep <n>', help: 'earlier versions kept in DIR/NAME.versions/', default: 5 },
  seed: { flag: '--seed <n>', help: 'seed of the replay sample and the shuffles (default: the card\'s training seed)' },
  fill: { flag: '--fill <policy>', help: 'missing/non-numeric cells: error | ffill | zero (default: what the model was trained with; error for a model whose card does not say)' },
  outliers: { flag: '--outliers <policy>', help: 'gross outliers in the data read (a historian\'s -9999 or 1e30 sentinel, train/outliers.ts): error | ffill | keep (default: what the model was trained with; keep for a model trained before the check)' },
  sort: { flag: '--sort', help: 'sort rows by time (a repeated timestamp keeps its first row) instead of failing on the first row out of order' },
  engine: { flag: '--engine <name>', help: 'what computes the gradient steps: auto | onnxruntime | tfjs. onnxruntime trains the exported graph itself with its gradient on ONNX Runtime\'s native CPU kernels (several times faster than tfjs wasm; every architecture); tfjs uses the --backend below. auto: onnxruntime where it loads and the model fits its 16.7 M weights, else tfjs', default: 'auto' },
  threads: { flag: '--threads <n>', help: 'ONNX Runtime threads for the onnxruntime engine (the small models vigil trains gain little from more)', default: 1 },
  backend: { flag: '--backend <name>', help: 'auto | tensorflow | wasm | cpu (auto: fastest that loads)', default: 'auto' },
  quiet: { flag: '--quiet', help: 'no per-epoch progress on stderr' },
} as const satisfies Record<string, OptionRow>;
