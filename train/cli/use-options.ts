/**
 * What `vigil latent`, `vigil denoise` and `vigil encode` share on the command line: model, data and output
 * first, then each command's own options, then fill, providers and quiet; one parse that checks them. `--fill`,
 * `--providers` and `--quiet` are rows of the runtime's flag table (runtime/config/flags.ts), so they have
 * `vigil score`'s name, syntax and default (the providers default is the config schema's inference.providers).
 */
import { Command } from 'commander';
import type { FillPolicy } from '@vigil/runtime';
import { defaultAt } from '@vigil/runtime/config/defaults.ts';
import { FLAGS } from '@vigil/runtime/config/flags.ts';
import { addFlags, flagOrDefault, flagValues } from '@vigil/runtime/cli/flags.ts';

/** Defaults of the shared options, read from the flag table and the config schema (providers comma separated). */
export const USE_DEFAULTS = { fill: FLAGS.fill.default as FillPolicy, providers: (defaultAt('inference.providers') as string[]).join(',') };

const SHARED = ['fill', 'providers', 'quiet'] as const;

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
  return addFlags(cmd, SHARED).exitOverride().showHelpAfterError();
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
  const given = flagValues(cmd, SHARED);
  const v = cmd.opts<Omit<UseArgs, 'fill' | 'providers'> & T>();
  return { ...v, fill: flagOrDefault(given, 'fill') as FillPolicy, providers: flagOrDefault(given, 'providers') as string[] };
}
