/** `vigil train`: fit an autoencoder on a CSV and export NAME.onnx + NAME.json + NAME.loss.svg. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { ModelCard } from '@vigil/runtime/model/card.ts';
import { parseRangeOption, type Ranges } from '@vigil/runtime/model/ranges.ts';
import { parseList, parseNumber } from '@vigil/runtime/util/parse-option.ts';
import { OPTION_TABLE } from './defaults.ts';
import { parseContamination } from './robust.ts';
import { parseRows } from './training-data.ts';
import type { EpochInfo } from './fit.ts';
import { trainModel, type TrainOptions } from './train.ts';

const ints = (v: string) => parseList(v).map(parseNumber);

/** `--range CH=MIN:MAX`, repeatable: each adds (or replaces) one channel's range. */
const addRange = (v: string, previous: unknown): Ranges => {
  try {
    const [channel, range] = parseRangeOption(v);
    return { ...(previous as Ranges | undefined), [channel]: range };
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

const PARSERS: Partial<Record<keyof typeof OPTION_TABLE, (v: string, previous: unknown) => unknown>> = {
  window: parseNumber, stride: parseNumber, epochs: parseNumber, batchSize: parseNumber, learningRate: parseNumber, patience: parseNumber, code: parseNumber, hidden: ints,
  kernel: parseNumber, noise: parseNumber, l1: parseNumber, beta: parseNumber, seed: parseNumber, validationSplit: parseNumber, span: parseNumber, channels: parseList, ignore: parseList, samples: parseNumber, track: parseNumber,
  thresholdRisk: parseNumber, ranges: addRange, threads: parseNumber,
  rows: (v) => {
    try {
      return parseRows(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  },
  contamination: (v) => {
    try {
      return parseContamination(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  },
};

function program(): Command {
  const cmd = new Command('vigil train')
    .description('Fit an autoencoder on normal operating data and export it for the runtime. Writes ' +
      'DIR/NAME.onnx (input [N, window, channels]), DIR/NAME.json (model card: scaler, error statistics, ' +
      'threshold calibration) and DIR/NAME.loss.svg (loss curve).')
    .exitOverride()
    .showHelpAfterError('(vigil train --help lists every option and its default)');
  for (const [key, row] of Object.entries(OPTION_TABLE)) {
    const opt = new Option(row.flag, row.help);
    if ('default' in row) {
      // --score's default follows --loss (error with bce), and --base given to an architecture with its own body is
      // refused: resolveOptions applies both defaults, commander only shows them.
      if (key === 'score' || key === 'base') opt.description += ` (default: ${JSON.stringify(row.default)})`;
      else opt.default(row.default);
    }
    const parse = PARSERS[key as keyof typeof OPTION_TABLE];
    if (parse) opt.argParser((v, previous) => parse(v, previous));
    if (key === 'data' || key === 'out') opt.makeOptionMandatory();
    cmd.addOption(opt);
  }
  cmd.addHelpText('after', `
Examples:
  vigil train --data pump.csv --out models/pump                    # conv AE, 32-row windows, defaults
  vigil train --data pump.csv --arch dense --window 60 --out models/pump-dense
  vigil train --data nab.csv --arch conv --window 64 --stride 4 --out models/nab --epochs 50
  vigil train --data pump.csv --arch vae --score recon-prob --out models/pump-vae   # reconstruction probability
  vigil train --data month.csv --contamination 0.1 --out models/pump   # rows known to hide incidents: set aside 10 % of windows
  vigil train --data pump.csv --contamination 0 --out models/pump      # the plain fit, every window counts
  vigil train --data pump.csv --range temp=-40:125 --range pressure=0:16 --out models/pump   # physical ranges in the card

Data: only normal operation (a few hundred rows is enough at ~1 Hz). Score with: vigil score --model DIR/NAME`);
  return cmd;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : '-';
}

/** Run `vigil train` with its argv. */
export async function run(args: string[]): Promise<number> {
  const cmd = program();
  cmd.parse(args, { from: 'user' });
  // Options by their table key (TrainOptions' field): commander names them by flag, e.g. --lr is `lr`, not learningRate.
  const given = cmd.opts() as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (const [key, row] of Object.entries(OPTION_TABLE)) {
    const attr = new Option(row.flag).attributeName();
    if (given[attr] !== undefined) o[key] = given[attr];
  }
  if (!existsSync(String(o.data))) throw new Error(`--data ${String(o.data)}: file not found; expected a CSV with a header row and a timestamp column`);
  const quiet = Boolean(o.quiet);
  const tty = Boolean(process.stderr.isTTY) && !quiet;
  const bar = new cliProgress.SingleBar(
    {
      format: 'epoch {value}/{total} [{bar}] loss {loss} | val {val} | {wps} windows/s | ETA {eta_formatted} (at most; early stopping usually ends sooner)',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = performance.now();
  const onEpoch = async (e: EpochInfo) => {
    const payload = { loss: fmt(e.loss), val: fmt(e.valLoss), wps: Math.round(e.windowsPerSecond) };
    if (tty) {
      if (!started) bar.start(e.epochs, 0, payload);
      started = true;
      bar.update(e.epoch, payload);
      await new Promise((r) => setImmediate(r)); // let the bar repaint between synchronous epochs
    } else if (!quiet && (e.epoch === 1 || e.epoch % 10 === 0)) {
      process.stderr.write(`epoch ${e.epoch}/${e.epochs}  loss ${payload.loss}  val ${payload.val}  ${payload.wps} windows/s\n`);
    }
  };
  // Notes (label columns set aside, constant channels, rows sorted) go to stderr, even with --quiet: they change what is trained.
  const onNote = (note: string) => process.stderr.write(`note: ${note}\n`);
  const options = { ...o, onEpoch, onNote } as unknown as TrainOptions;
  // The tfjs backend is said only when tfjs trains: with the onnxruntime engine it is not used for training.
  let tfjsBackend = '';
  options.onStart = (s) => {
    tfjsBackend = `${s.backend.description}${s.backend.failures.length ? `  (skipped: ${s.backend.failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')})` : ''}`;
    process.stdout.write(`data: ${s.rows} rows x ${s.channels.length} channel(s) [${s.channels.join(', ')}] -> ${s.trainWindows} training + ${s.valWindows} validation windows\n`);
  };
  options.onEngine = (name) => process.stdout.write(`training engine: ${name}${name.startsWith('tfjs') ? `; tfjs backend: ${tfjsBackend}` : ''}\n`);
  let res;
  try {
    res = await trainModel(options);
  } finally {
    if (started) bar.stop();
  }
  const f = res.fit;
  const best = f.history.find((h) => h.epoch === f.bestEpoch)!;
  const c = res.card;
  process.stdout.write([
    `epochs: ${f.history.length}${f.stoppedEarly ? ' (early stop)' : ''}, best ${f.bestEpoch}: loss ${fmt(best.loss)}, val ${fmt(best.valLoss)}`,
    `export check: ONNX Runtime vs tfjs max |diff| ${res.exportMaxAbsDiff.toExponential(2)}`,
    `score: ${c.scoring.error}${c.scoring.reconProb ? ` (${c.scoring.reconProb.samples} samples)` : ''} over the last ${c.scoring.span} of ${c.window} steps; static threshold ${c.threshold.static.value.toPrecision(4)} (${c.threshold.static.method})`,
    ...heldOutLines(c),
    ...setAsideLines(c),
    ...driftLines(c),
    ...trendLines(c),
    ...(c.scoring.spread ? [`spread: on (how much each channel moves from row to row; its limit ${c.scoring.spread.limit.toPrecision(4)} x the training windows' typical ${c.scoring.spread.center.toPrecision(4)} maps onto the threshold)`] : []),
    `wrote ${res.onnxPath}`,
    `      ${res.cardPath}`,
    `      ${res.svgPath}`,
    ...(res.setAsidePath ? [`      ${res.setAsidePath}`] : []),
    `total time ${((performance.now() - t0) / 1000).toFixed(1)} s (training ${f.seconds.toFixed(1)} s on ${res.fit.engine})`,
    '',
  ].join('\n'));
  res.model.dispose();
  return 0;
}

/**
 * Held-out windows scoring this many times the fitted ones (medians) differ from what the model was fitted on. Out of
 * sample, 1.5-7x is usual (bench:quality's models: pumps 1.7-6.8, TEP 2.0); the plant set's two runs whose bars are
 * too high to alert at all have 13 and 33.
 */
const HELD_OUT_GAP = 10;

/**
 * How the held-out windows (the last rows, never trained on: tomorrow's data, as far as training can tell) score:
 * against the threshold, which is calibrated on them, and against the fitted windows. Held-out windows that score
 * several times the fitted ones hold something the fit never saw (drift, an operating point met only at the end):
 * the bar then sits high for the rest, and more varied training rows help.
 */
function heldOutLines(card: ModelCard): string[] {
  const v = card.errorStats.validation;
  const bar = card.threshold.static.value;
  const median = v?.quantiles['0.5'];
  const p99 = v?.quantiles['0.99'];
  const fitted = card.errorStats.train.quantiles['0.5'];
  if (!v || median === undefined || p99 === undefined || !(bar > 0)) return [];
  const share = (x: number) => `${((100 * x) / bar).toFixed(0)} %`;
  // A model that fits its training windows exactly (median 0) and not the held-out ones differs without bound.
  const gap = fitted === undefined ? undefined : fitted > 0 ? median / fitted : median > 0 ? Number.POSITIVE_INFINITY : undefined;
  return [
    `held-out windows (${v.count}): median score ${median.toPrecision(3)} (${share(median)} of the threshold), 99th percentile ${p99.toPrecision(3)} (${share(p99)})` +
      (gap !== undefined ? `; ${Number.isFinite(gap) ? `${gap.toFixed(1)}x` : 'above'} the fitted windows' median${Number.isFinite(gap) ? '' : ' of 0'}` : ''),
    ...(gap !== undefined && gap > HELD_OUT_GAP
      ? [`  the held-out rows differ from the rows fitted (drift, or an operating point met only at the end), so the threshold sits high for the rest: train on more, or more varied, normal rows if you can`]
      : []),
  ];
}

/**
 * Which channels' residual levels wandered between the training and the held-out windows (`--track-drift`), the
 * fastest first: the runtime excuses those while their level goes unconfirmed (train/README.md "Level drift").
 */
function driftLines(card: ModelCard): string[] {
  const drift = card.scoring.residual?.tracking?.drift;
  if (!drift) return [];
  const wandering = drift.map((q, k) => ({ channel: card.channels[k], q })).filter((d) => d.q > 0).sort((a, b) => b.q - a.q);
  if (!wandering.length) {
    const memory = card.scoring.residual?.memory;
    return [
      `level drift: no channel's residual level moved beyond its noise between training and held-out windows`,
      memory
        ? `residual memory: on (EWMA lambda ${memory.lambda}; its limit maps onto the bar x ${memory.scale.toPrecision(3)})`
        : `  (for a continuous process that holds one steady state, --memory on also flags small shifts that persist; where levels wander later or operating points change, it adds false alarms: train/README.md "Residual memory")`,
    ];
  }
  const names = wandering.slice(0, 6).map((d) => d.channel).join(', ') + (wandering.length > 6 ? ` and ${wandering.length - 6} more` : '');
  const memory = card.scoring.residual?.memory;
  return [
    `level drift: ${wandering.length} of ${drift.length} channel(s) wandered between training and held-out windows (${names}); the runtime counts them less while their level goes unconfirmed`,
    ...(memory ? [`residual memory: on, although levels wander here: expect more false alarms (train/README.md "Residual memory")`] : []),
  ];
}

/** What the robust fit set aside, as the card records it (nothing with --contamination 0). */
function setAsideLines(card: { training: Record<string, unknown> }): string[] {
  const r = card.training.contamination as { setting: unknown; setAside?: number; fraction?: number; training?: { setAside: number }; validation?: { setAside: number } } | undefined;
  if (!r || r.setting === 0 || r.setAside === undefined) return [];
  return [`contamination ${String(r.setting)}: set aside ${r.setAside} windows (${(100 * (r.fraction ?? 0)).toFixed(1)} %: ${r.training?.setAside ?? 0} training, ${r.validation?.setAside ?? 0} validation); kept out of the residual model and the threshold`];
}

/** Which channels climbed steadily through training (`--track-trend`): their inputs follow that climb in every window. */
function trendLines(card: ModelCard): string[] {
  const trend = card.scoring.residual?.tracking?.trend;
  const climbing = (trend ?? []).flatMap((t, k) => (t > 0 ? [`${card.channels[k]} (${t.toPrecision(2)} per row)`] : []));
  if (!climbing.length) return [];
  return [`input trend: ${climbing.join(', ')} climbed steadily through training; the runtime follows them at up to that pace (scaled units) in every window, faster change still shows (train/README.md "Trends")`];
}
