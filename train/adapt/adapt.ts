/**
 * `adaptModel(options)`: fine-tune the serving model on recent normal data, validate, and only then replace it.
 *
 * serving pair -> tfjs model (train/adapt/serving-model.ts) -> a few epochs at a low rate on recent windows
 * mixed with replayed original training windows -> export and score through ONNX Runtime, scoring model and
 * static threshold recalibrated as `vigil train` does (train/score-exported.ts) -> three checks against the
 * serving model: error on held-back recent windows falls, error on the original validation windows does not
 * rise beyond a bound, every canary stays flagged -> the replaced pair is kept (train/adapt/model-versions.ts),
 * the new one written crash-consistently with its lineage in the card. A refusal writes nothing.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadModel, type FillPolicy, type LoadedModel, type ModelCard } from '@vigil/runtime';
import { FILL_POLICIES } from '@vigil/runtime/data/csv.ts';
import { scoreOutputs } from '@vigil/runtime/scoring/score-outputs.ts';
import type { Lineage, Scoring } from '@vigil/runtime/model/card.ts';
import { selectBackend, type BackendChoice } from '../backend.ts';
import { defaultStride, OPTION_TABLE } from '../defaults.ts';
import { fit, type EpochInfo, type WindowBatch } from '../fit.ts';
import { reconProbNoise } from '../models/recon-prob.ts';
import { cardScoring, exportScored, reconstructAll } from '../score-exported.ts';
import { stillConstant } from '@vigil/runtime/scoring/constant-inputs.ts';
import { spanResiduals } from '@vigil/runtime/scoring/mahalanobis.ts';
import { trainingVersions } from '../versions.ts';
import { ADAPT_OPTION_TABLE } from './options.ts';
import { refusalReasons, validationFigures, weightChange } from './acceptance.ts';
import { runtimeGone } from './parent-watch.ts';
import { adaptedCard } from './adapted-card.ts';
import { checkRebuilt, servingAutoencoder } from './serving-model.ts';
import { modelBase, replaceServed, type KeptVersion } from './model-versions.ts';
import { anchorRefusal } from './anchor.ts';
import { anchorCheck } from './anchor-check.ts';
import { trackedFlagged } from './tracked-scores.ts';
import { canaryWindows, concatWindows, originalWindows, recentWindows, type AdaptWindows } from './window-sets.ts';
import { reservoirWindows } from './reservoir-windows.ts';
import { carryProcessScoring } from './process-scoring.ts';
import { keepThreshold } from './keep-threshold.ts';
import { lineageOf } from './lineage.ts';
import type { TrainEngineName } from '../engine.ts';
import { checkEngine } from '../train-options.ts';
import { OUTLIER_POLICIES, type OutlierPolicy } from '../outliers.ts';

/** Options of `adaptModel`; all but model and data have defaults (`ADAPT_OPTION_TABLE`). */
export interface AdaptOptions {
  model: string;
  /** Recent normal operation as a CSV ... */
  data?: string;
  /** ... or as the reservoir file `vigil run` keeps (its alerts are canaries too). Exactly one of the two. */
  reservoir?: string;
  out?: string;
  replay?: string;
  canaries?: string;
  reason?: string;
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
  replayRatio?: number;
  holdout?: number;
  minGain?: number;
  maxRise?: number;
  maxBarRise?: number;
  maxChange?: number;
  canaryShare?: number;
  anchorAge?: number;
  anchorShare?: number;
  judge?: 'static' | 'tracked';
  threshold?: 'auto' | 'keep' | 'refit';
  keep?: number;
  seed?: number;
  fill?: FillPolicy;
  /** Gross outliers in the data read (train/outliers.ts); absent: the policy the model was trained with. */
  outliers?: OutlierPolicy;
  sort?: boolean;
  backend?: string;
  /** What computes the gradient steps (../engine.ts), and ONNX Runtime's threads. */
  engine?: TrainEngineName;
  threads?: number;
  /** Told which engine fine-tunes, before the first epoch. */
  onEngine?: (name: string) => void;
  onNote?: (note: string) => void;
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
  /** Called once the data is read and the backend chosen, before fine-tuning. */
  onStart?: (info: { backend: BackendChoice; windows: AdaptWindows }) => void;
}

/** What an adaptation decided. Both kinds carry the figures it decided on. */
export type AdaptDecision =
  | { kind: 'adapted'; parent: ModelCard; card: ModelCard; cardPath: string; onnxPath: string; kept?: KeptVersion; lineage: Lineage; seconds: number }
  | {
    kind: 'refused'; parent: ModelCard; reasons: string[]; lineage: Lineage; seconds: number;
    /**
     * Set when the recent data moved too far from the anchor and the anchor is an earlier kept version: the chain of
     * adaptations since it followed change too fast to be normal, so the caller should put it back (a slow fault is
     * then alerted by the model that had not learnt it).
     */
    rollBackTo?: string;
  };

const D = Object.fromEntries(Object.entries(ADAPT_OPTION_TABLE).map(([k, v]) => [k, 'default' in v ? v.default : undefined])) as
  { [K in keyof typeof ADAPT_OPTION_TABLE]: (typeof ADAPT_OPTION_TABLE)[K] extends { default: infer V } ? V : undefined };

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(msg);
}

/** Resolve defaults and reject bad values with what was expected. */
export function resolveAdaptOptions(o: AdaptOptions, card: ModelCard) {
  const seed = o.seed ?? (typeof card.training.seed === 'number' ? card.training.seed : 42);
  checkEngine(o.engine, o.threads);
  const r = {
    epochs: o.epochs ?? D.epochs, learningRate: o.learningRate ?? D.learningRate, batchSize: o.batchSize ?? D.batchSize,
    replayRatio: o.replayRatio ?? D.replayRatio, holdout: o.holdout ?? D.holdout, minGain: o.minGain ?? D.minGain, maxRise: o.maxRise ?? D.maxRise, maxBarRise: o.maxBarRise ?? D.maxBarRise, maxChange: o.maxChange ?? D.maxChange,
    canaryShare: o.canaryShare ?? D.canaryShare, anchorAge: o.anchorAge ?? D.anchorAge, anchorShare: o.anchorShare ?? D.anchorShare, judge: o.judge ?? D.judge, threshold: o.threshold ?? D.threshold, keep: o.keep ?? D.keep, seed, fill: o.fill ?? FILL_POLICIES.find((f) => f === card.training.fill) ?? 'error', backend: o.backend ?? D.backend,
    engine: o.engine ?? (D.engine as TrainEngineName), threads: o.threads ?? D.threads,
    reason: o.reason ?? D.reason,
  };
  for (const k of ['epochs', 'batchSize', 'keep'] as const) check(Number.isInteger(r[k]) && r[k] >= 1, `--${k === 'batchSize' ? 'batch-size' : k} must be an integer >= 1, got ${r[k]}`);
  check(r.learningRate > 0 && r.learningRate < 0.1, `--lr must be in (0, 0.1), got ${r.learningRate}`);
  check(r.replayRatio >= 0 && r.replayRatio <= 10, `--replay-ratio must be in [0, 10], got ${r.replayRatio}`);
  check(r.holdout > 0 && r.holdout < 0.9, `--holdout must be in (0, 0.9), got ${r.holdout}`);
  check(r.minGain >= 0 && r.minGain < 1, `--min-gain must be in [0, 1), got ${r.minGain}`);
  check(r.maxRise >= 0, `--max-rise must be >= 0, got ${r.maxRise}`);
  check(r.maxBarRise >= 1, `--max-bar-rise must be a factor >= 1, got ${r.maxBarRise}`);
  check(r.maxChange > 0, `--max-change must be > 0, got ${r.maxChange}`);
  check(r.canaryShare > 0 && r.canaryShare <= 1, `--canary-share must be in (0, 1], got ${r.canaryShare}`);
  check(r.anchorAge >= 0 && Number.isFinite(r.anchorAge), `--anchor-age must be a number of milliseconds >= 0, got ${r.anchorAge}`);
  check(r.anchorShare >= 0 && r.anchorShare <= 1, `--anchor-share must be in [0, 1], got ${r.anchorShare}`);
  check(['static', 'tracked'].includes(r.judge), `--judge must be static or tracked, got '${r.judge}'`);
  check(['auto', 'keep', 'refit'].includes(r.threshold), `--threshold must be auto, keep or refit, got '${r.threshold}'`);
  check(Number.isInteger(r.seed), `--seed must be an integer, got ${r.seed}`);
  check(FILL_POLICIES.includes(r.fill), `--fill must be error, ffill or zero, got '${r.fill}'`);
  return r;
}

/** The serving model's reconstruction (and samples) of `set` through ONNX Runtime. */
async function servingOutputs(loaded: LoadedModel, set: WindowBatch) {
  const { card } = loaded;
  const C = card.channels.length;
  const rp = card.scoring.reconProb;
  const out = await reconstructAll(
    { onnx: loaded.onnx, inputName: card.onnx.inputName, outputName: card.onnx.outputName, window: card.window, channels: C },
    set, rp ? { output: rp.output, per: rp.samples * rp.rows * C } : undefined, card.scoring,
  );
  return { reconstruction: out.recon, extra: rp ? { [rp.output]: out.samples } : {} };
}

/** The score kind `vigil train` calls it by, from a card's scoring. */
function scoreKind(s: Scoring): 'mahalanobis' | 'error' | 'recon-prob' {
  return s.error === 'mahalanobis' || s.error === 'recon-prob' ? s.error : 'error';
}

/** The calibration risk the serving model's threshold was fitted at (recorded in its method), else train's default. */
function thresholdRisk(card: ModelCard): number {
  const m = /risk=([0-9.eE+-]+)/.exec(card.threshold.static.method);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : OPTION_TABLE.thresholdRisk.default;
}

/** Where the original training data is: `--replay`, else the card's `training.data`; says so when neither is there. */
function replayFile(card: ModelCard, given: string | undefined, cardPath: string): string {
  if (given) return given;
  const recorded = card.training.data;
  if (typeof recorded !== 'string' || recorded === '<series>') {
    throw new Error(`${cardPath} does not record a training data file (training.data ${JSON.stringify(recorded)}); pass --replay <csv> with the data the model was trained on`);
  }
  if (!existsSync(recorded)) {
    throw new Error(`the original training data ${recorded} (the card's training.data, relative to where vigil train ran) is not here; pass --replay <csv> with the data the model was trained on`);
  }
  return recorded;
}

/** The recent windows (from --data or the reservoir), the replayed original ones and the canaries of an adaptation. */
function gatherWindows(options: AdaptOptions, loaded: LoadedModel, o: ReturnType<typeof resolveAdaptOptions>) {
  const parent = loaded.card;
  const replay = replayFile(parent, options.replay, loaded.cardPath);
  // Gross outliers as the model was trained (train/outliers.ts): its own policy, recorded in the card; a card from
  // before the check was trained on whatever its file held, so its replay keeps them.
  const outliers = options.outliers ?? OUTLIER_POLICIES.find((p) => p === parent.training.outliers) ?? 'keep';
  check(OUTLIER_POLICIES.includes(outliers), `--outliers must be ${OUTLIER_POLICIES.join(', ')}, got '${outliers}'`);
  const read = { fill: o.fill, sort: options.sort, onNote: options.onNote, outliers };
  const setOpts = { holdout: o.holdout, replayRatio: o.replayRatio, seed: o.seed, read };
  check((options.data === undefined) !== (options.reservoir === undefined), 'give the recent data as --data <csv> or --reservoir <file>, exactly one of them');
  const pool = options.reservoir ? reservoirWindows(parent, options.reservoir, o.holdout) : undefined;
  const recent = pool?.recent ?? recentWindows(parent, options.data!, setOpts);
  const original = originalWindows(parent, replay, Math.round(o.replayRatio * recent.fit.count), setOpts);
  const given = options.canaries ? canaryWindows(parent, options.canaries, setOpts) : undefined;
  const canaries = given && pool?.canaries ? { file: `${given.file} + ${pool.canaries.file}`, events: [...given.events, ...pool.canaries.events] } : given ?? pool?.canaries;
  if (!canaries) options.onNote?.('no canaries (--canaries, or alerts kept in the reservoir): nothing checks that past alerts stay flagged after the adaptation');
  const windows: AdaptWindows = { recent, original, canaries };
  return { windows, pool };
}

/** Fine-tune, validate, and write the adapted model only when every check passes. */
export async function adaptModel(options: AdaptOptions): Promise<AdaptDecision> {
  const t0 = performance.now();
  const loaded = loadModel(options.model);
  const parent = loaded.card;
  const o = resolveAdaptOptions(options, parent);
  const { windows, pool } = gatherWindows(options, loaded, o);
  const { recent, original, canaries } = windows;
  const backend = await selectBackend(o.backend);
  options.onStart?.({ backend, windows });

  const W = parent.window;
  const C = parent.channels.length;
  const per = W * C;
  // One batch: fine-tuning windows first, then the held-back recent, the original validation and the canary windows.
  const mix = concatWindows([recent.fit, original.replay], per);
  const events = canaries?.events ?? [];
  const checks = concatWindows([recent.heldOut, original.validation, ...events.map((e) => e.windows)], per);
  const all = concatWindows([mix, checks], per);
  const at = { recent: mix.count, original: mix.count + recent.heldOut.count, canaries: mix.count + recent.heldOut.count + original.validation.count };

  const before = await servingOutputs(loaded, checks);
  // Both models judged without the stuck-sensor check: it is about the data, not the weights, and the child's watch
  // list (channels that moved in every window it saw) may differ from the parent's. (Each keeps its own spread.)
  const beforeScores = scoreOutputs(checks.data, before, checks.count, W, C, { ...parent.scoring, flatline: undefined }).scores;
  const model = servingAutoencoder(loaded);
  try {
    checkRebuilt(model, recent.heldOut, before.reconstruction, loaded.onnxPath, parent);

    const w0 = model.weights().map((w) => w && { kernel: w.kernel.slice(), bias: w.bias.slice() });
    // No validation set: every epoch runs (patience = epochs) and the held-back windows stay unseen until the checks.
    const fitted = await fit(model, mix, { data: new Float32Array(0), count: 0 }, {
      epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, patience: o.epochs, seed: o.seed, onEpoch: options.onEpoch,
      engine: o.engine, threads: o.threads, onEngine: options.onEngine,
    });
    const change = weightChange(w0, model.weights());

    const outBase = resolve(modelBase(options.out ?? options.model));
    const name = basename(outBase);
    const span = parent.scoring.span;
    const rp = parent.scoring.reconProb;
    const sampleLayer = model.spec.layers.find((l) => l.op === 'sample');
    // The same fixed draws as the serving graph: they come from the seed it was trained with.
    const eps = rp && sampleLayer?.op === 'sample' ? reconProbNoise(rp.samples, sampleLayer.size, Number(parent.training.seed)) : undefined;
    const versions = trainingVersions();
    const out = await exportScored(model, all, { from: at.recent, count: recent.heldOut.count }, { meta: { vigil: versions.vigil, name }, eps, samples: rp?.samples ?? 0, span });
    const heldOut = { from: at.recent, count: recent.heldOut.count + original.validation.count };
    const cs = cardScoring(all, out, { from: 0, count: mix.count }, heldOut, {
      window: W, channels: C, score: scoreKind(parent.scoring), loss: parent.architecture.loss, span, samples: rp?.samples ?? 0,
      track: parent.scoring.residual?.tracking?.rate ?? 0, trackInputs: (parent.scoring.residual?.tracking?.input ?? 0) > 0, thresholdRisk: thresholdRisk(parent),
      // The child keeps the checks the parent had (an older card without the spread stays without it), and holds the
      // channels the parent held while its data still holds them at their training value.
      spread: parent.scoring.spread !== undefined,
      constant: stillConstant(all.data, C, parent.scoring.constant ?? []),
      // The canaries (past faults, last) are not what the spread, the stuck-sensor watch or the seen range fit.
      setAside: at.canaries < all.count ? Uint8Array.from({ length: all.count }, (_, i) => (i >= at.canaries ? 1 : 0)) : undefined,
    });
    const freed = (parent.scoring.constant ?? []).filter((c) => !(cs.scoring.constant ?? []).includes(c)).map((c) => parent.channels[c]);
    if (freed.length) options.onNote?.(`${freed.join(', ')}: constant in training (held at that value for the model), moving in the recent data: the adapted model takes it as an input, on the scale set by that one value; a retrain (vigil train) on data that covers both is the reliable way`);
    if (o.threshold === 'keep' || (o.threshold === 'auto' && pool && cs.scoring.error === 'mahalanobis')) keepThreshold(cs, parent, { all, out, window: W, channels: C });
    // The process's level drift and memory carry over; a CSV's held-back recent windows, in order, set the memory's limit.
    const [from, to] = [at.recent * per, (at.recent + recent.heldOut.count) * per];
    const inOrder = { residuals: () => spanResiduals(all.data.subarray(from, to), out.recon.subarray(from, to), recent.heldOut.count, W, C, cs.scoring.span), stride: defaultStride(recent.rows) };
    carryProcessScoring(cs, parent, thresholdRisk(parent), pool ? undefined : inOrder);

    const validation = validationFigures(
      { data: checks.data, recon: before.reconstruction, scores: beforeScores, threshold: parent.threshold.static.value, at: { recent: 0, original: recent.heldOut.count, canaries: at.canaries - mix.count } },
      { data: all.data, recon: out.recon, scores: cs.scores, threshold: cs.threshold.value, at },
      { per, recent: recent.heldOut.count, original: original.validation.count, events },
      o,
    );
    // --judge tracked: whether a model flags the recent data is judged as `vigil run` judges it (tracked-scores.ts).
    const recentSet = concatWindows([recent.fit, recent.heldOut], per);
    const sensors = recent.fit.sensors && recent.heldOut.sensors ? [...recent.fit.sensors, ...recent.heldOut.sensors] : undefined;
    const judged = { windows: recentSet, sensors, from: recent.fit.count };
    if (o.judge === 'tracked') validation.recentFlagged = {
      before: await trackedFlagged({ onnx: loaded.onnx, card: parent, scoring: { ...parent.scoring, flatline: undefined } }, parent.threshold.static.value, judged),
      after: await trackedFlagged({ onnx: out.graph.bytes, card: { ...parent, onnx: { ...parent.onnx, inputName: out.graph.inputName, outputName: out.graph.outputName } }, scoring: { ...cs.scoring, flatline: undefined } }, cs.threshold.value, judged),
    };
    const anchor = o.anchorAge > 0 ? await anchorCheck(loaded, recentSet, sensors, recent.to, o) : undefined;
    if (anchor) validation.anchor = anchor;
    const reasons = refusalReasons(validation, change, o, options.onNote);
    const anchorReason = anchor && anchorRefusal(anchor, parent, recent.to);
    if (anchorReason) reasons.push(anchorReason);

    const lineage = lineageOf(parent, windows, o, { epochs: fitted.history.length, change, engine: fitted.engine }, validation);
    const seconds = () => (performance.now() - t0) / 1000;
    if (reasons.length) return { kind: 'refused', parent, reasons, lineage, seconds: seconds(), ...(anchorReason && anchor.version !== parent.version ? { rollBackTo: anchor.version } : {}) };

    const gone = runtimeGone(); // a runtime killed meanwhile would never know of a pair written for it
    if (gone) return { kind: 'refused', parent, reasons: [`${gone}: its restart decides afresh`], lineage, seconds: seconds() };
    const card = adaptedCard(parent, name, recent.file, out.graph, cs, versions, lineage);
    const inPlace = outBase === resolve(modelBase(options.model));
    const kept = replaceServed(outBase, out.graph.bytes, card, { keep: o.keep, anchorAgeMs: o.anchorAge, ...(inPlace ? { parentSha256: parent.onnx.sha256, parentVersion: parent.version } : {}) });
    return { kind: 'adapted', parent, card, cardPath: `${outBase}.json`, onnxPath: `${outBase}.onnx`, kept, lineage, seconds: seconds() };
  } finally {
    model.dispose();
  }
}

