/**
 * What `vigil latent`, `vigil denoise` and `vigil encode` share on the command line: model, data and output
 * first, then each command's own options, then fill, providers and quiet; one parse that checks `--fill`.
 */
import { Command } from 'commander';
import type { FillPolicy } from '@vigil/runtime';

/** Defaults of the shared options. */
export const USE_DEFAULTS = { fill: 'error', providers: 'cpu,wasm' };

/** A command with `--model`, `--data` and `--out` (whose flag and help the command gives). */
export function useCommand(name: string, description: string, out: { flag: string; help: string }): Command {
  return new Command(name)
    .description(description)
    .requiredOption('--model <path>', 'model path without extension (DIR/NAME), or either file')
    .requiredOption('--data <csv>', 'CSV with the channels named in the model card')
    .requiredOption(out.flag, out.help);
}

/** Add `--fill`, `--providers` and `--quiet` after the command's own options; errors throw instead of exiting. */
export function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--fill <policy>', 'missing or non-numeric cells: error | ffill | zero', USE_DEFAULTS.fill)
    .option('--providers <list>', 'execution providers in priority order', USE_DEFAULTS.providers)
    .option('--quiet', 'print only errors')
    .exitOverride()
    .showHelpAfterError();
}

/** The shared options once parsed and checked. */
export interface UseArgs {
  model: string;
  data: string;
  out: string;
  fill: FillPolicy;
  providers: string[];
  quiet?: boolean;
}

/** Parse `args`; the shared options come back checked, the command's own (`T`) as commander gives them. */
export function parseUseArgs<T extends object>(cmd: Command, args: string[]): UseArgs & T {
  cmd.parse(args, { from: 'user' });
  const v = cmd.opts<Omit<UseArgs, 'providers'> & { providers: string } & T>();
  if (!['error', 'ffill', 'zero'].includes(v.fill)) throw new Error(`--fill: expected error, ffill or zero; got '${v.fill}'`);
  return { ...v, providers: v.providers.split(',') };
}
