/**
 * `vigil adapt`: fine-tune a serving model on recent normal data, validated before it replaces anything;
 * `vigil adapt rollback`: put the previous version back. Every decision is one line on stdout, and the exit
 * code says which: 0 adapted / rolled back, 3 refused (nothing written), 4 nothing to roll back, 5 refused because the
 * recent data moved too far from the anchor (train/adapt/anchor.ts) that an earlier version is: the line names it
 * (`roll back to vN`) and the caller rolls back to it with `vigil adapt rollback --to N`, 1 error.
 */
import { Command, Option } from 'commander';
import { parseNumber } from '@vigil/runtime/util/parse-option.ts';
import { adaptModel, type AdaptDecision, type AdaptOptions } from './adapt.ts';
import { rollbackModel } from './model-versions.ts';
import { ADAPT_OPTION_TABLE } from './options.ts';
import { barRise } from './acceptance.ts';

/** Exit codes of `vigil adapt`. */
export const ADAPT_EXIT = { adapted: 0, error: 1, refused: 3, nothingToRollBack: 4, rollBackToAnchor: 5 } as const;

const NUMERIC = new Set(['epochs', 'learningRate', 'batchSize', 'replayRatio', 'holdout', 'minGain', 'maxRise', 'maxBarRise', 'maxChange', 'canaryShare', 'anchorAge', 'anchorShare', 'keep', 'seed', 'threads']);

function program(): Command {
  const cmd = new Command('vigil adapt')
    .description('Fine-tune the serving model on recent normal data mixed with a replay of its original training ' +
      'data; write it (the replaced pair kept in DIR/NAME.versions/) only if the error on held-back recent windows ' +
      'falls, the error on the original validation windows does not rise beyond --max-rise, and every canary ' +
      'stays flagged. A running vigil picks the new pair up by hot reload.')
    .exitOverride()
    .showHelpAfterError('(vigil adapt --help lists every option and its default)');
  for (const [key, row] of Object.entries(ADAPT_OPTION_TABLE)) {
    const opt = new Option(row.flag, row.help);
    if ('default' in row) opt.default(row.default);
    if (NUMERIC.has(key)) opt.argParser(parseNumber);
    if (key === 'model') opt.makeOptionMandatory();
    cmd.addOption(opt);
  }
  cmd.addHelpText('after', `
Rollback:
  vigil adapt rollback --model models/pump     # the previous version back in place
  vigil adapt rollback --model models/pump --to 3   # version 3 back, the kept versions after it dropped

Exit codes: 0 adapted, 3 refused (nothing written; the line says why), 5 refused with 'roll back to vN' (the anchor,
an earlier version, flags the recent data: vigil adapt rollback --to N), 1 error (bad input).

Examples:
  vigil adapt --model models/pump --data last-week.csv
  vigil adapt --model models/pump --data last-week.csv --replay pump-train.csv --canaries alerts.csv --reason "new impeller"
  vigil adapt --model models/pump --reservoir vigil-reservoir-pump.json    # what vigil run kept (adapt: in its config)`);
  return cmd;
}

const f = (v: number) => v.toPrecision(3);
const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(100 * (a / b - 1)).toFixed(0)} %`;

/** How lenient the new bar is against the original validation windows' median score, and its bound, when known. */
function barLine(t: AdaptDecision['lineage']['validation']['threshold']): string {
  const rise = barRise(t);
  return rise === undefined ? '' : ` (${rise.toFixed(2)}x as lenient on the original validation windows${t.maxRise ? `, bound ${t.maxRise}x` : ''})`;
}

/** The one line a decision prints. */
export function decisionLine(model: string, d: AdaptDecision): string {
  const v = d.lineage.validation;
  const figures = [
    `recent error ${f(v.recentError.before)} -> ${f(v.recentError.after)} (${pct(v.recentError.after, v.recentError.before)})`,
    `original validation error ${f(v.originalError.before)} -> ${f(v.originalError.after)} (${pct(v.originalError.after, v.originalError.before)}, bound +${(100 * v.originalError.maxRise).toFixed(0)} %)`,
    `recent windows flagged ${(100 * v.recentFlagged.before).toFixed(1)} % -> ${(100 * v.recentFlagged.after).toFixed(1)} %`,
    v.canaries.length ? `canaries ${v.canaries.filter((c) => c.after >= c.required && (c.required === 0 || c.after > 0)).length}/${v.canaries.length} flagged` : 'no canaries',
    `threshold ${f(v.threshold.before)} -> ${f(v.threshold.after)}${barLine(v.threshold)}`,
    `weight change ${(100 * d.lineage.fineTune.weightChange).toFixed(1)} %`,
  ].join(', ');
  if (d.kind === 'refused') return `adapt: refused ${model} v${d.parent.version}: ${d.reasons.join('; ')}; nothing written${d.rollBackTo !== undefined ? `; roll back to v${d.rollBackTo}` : ''} (${figures}; ${d.seconds.toFixed(1)} s)`;
  return `adapt: adapted ${model} v${d.parent.version} -> v${d.card.version} (${d.cardPath}): ${figures}; reason '${d.lineage.reason}'${d.kept ? `; previous kept in ${d.kept.dir}` : ''} (${d.seconds.toFixed(1)} s)`;
}

async function rollback(args: string[]): Promise<number> {
  const cmd = new Command('vigil adapt rollback')
    .description('Put the previous version of a model back in place (the parent of an adapted model, kept in DIR/NAME.versions/; without lineage the newest kept). A running vigil picks it up by hot reload.')
    .requiredOption('--model <dir/name>', 'the model to roll back')
    .option('--to <version>', 'roll back to this kept version (dropping the kept versions after it) instead of the newest')
    .exitOverride();
  cmd.parse(args, { from: 'user' });
  const model = String(cmd.opts().model);
  const to = cmd.opts().to as string | undefined;
  let r;
  try {
    r = rollbackModel(model, to);
  } catch (err) {
    const msg = (err as Error).message;
    if (/^no earlier version/.test(msg)) {
      process.stdout.write(`adapt: rollback refused ${model}: ${msg}\n`);
      return ADAPT_EXIT.nothingToRollBack;
    }
    throw err;
  }
  process.stdout.write(`adapt: rolled back ${model} v${r.from.version} -> v${r.to.version} (onnx sha256 ${r.from.sha256.slice(0, 12)} -> ${r.to.sha256.slice(0, 12)}); ${r.left} earlier version(s) still kept\n`);
  return ADAPT_EXIT.adapted;
}

/** Run `vigil adapt` (or `vigil adapt rollback`) with its argv. */
export async function run(args: string[]): Promise<number> {
  if (args[0] === 'rollback') return rollback(args.slice(1));
  const cmd = program();
  cmd.parse(args, { from: 'user' });
  const o = cmd.opts() as Record<string, unknown>;
  if ((o.data === undefined) === (o.reservoir === undefined)) cmd.error('error: give the recent data as --data <csv> or --reservoir <file> (exactly one)');
  const quiet = Boolean(o.quiet);
  const options: AdaptOptions = {
    ...(o as unknown as AdaptOptions),
    onNote: (note: string) => void process.stderr.write(`note: ${note}\n`),
    onStart: ({ backend, windows: w }) => {
      if (quiet) return;
      process.stderr.write(`adapting (tfjs backend ${backend.name}): ${w.recent.fit.count} recent + ${w.original.replay.count} replayed windows (${w.original.file}); checks on ${w.recent.heldOut.count} held-back recent, ${w.original.validation.count} original validation${w.canaries ? `, ${w.canaries.events.length} canary event(s)` : ''}\n`);
    },
    onEngine: (name) => void (quiet || process.stderr.write(`fine-tuning on ${name}\n`)),
    onEpoch: (e) => {
      if (!quiet) process.stderr.write(`epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toPrecision(4)}  ${Math.round(e.windowsPerSecond)} windows/s\n`);
    },
  };
  const d = await adaptModel(options);
  process.stdout.write(`${decisionLine(String(o.model), d)}\n`);
  return d.kind === 'adapted' ? ADAPT_EXIT.adapted : d.rollBackTo !== undefined ? ADAPT_EXIT.rollBackToAnchor : ADAPT_EXIT.refused;
}
