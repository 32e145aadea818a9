/**
 * Commander options generated from the one flag table (runtime/config/flags.ts): the same spelling, syntax and
 * help in every command, with the schema's default in the help.
 */
import { Option, type Command } from 'commander';
import { defaultAt, problemAt } from '../config/defaults.ts';
import { applyFlags, FLAGS, longFlag, type FlagKey, type FlagRow, type FlagValues } from '../config/flags.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The default as the help shows it: the schema's for a config key, else the row's. */
function shownDefault(row: FlagRow): string | undefined {
  if (row.defaultText) return row.defaultText;
  const v = row.path ? defaultAt(row.path) : row.default;
  if (v === undefined || v === false) return undefined;
  if (v === null) return 'off';
  if (row.show) return row.show(v as never);
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The option `flag` spells with the table row's argument and help; aliases hidden. */
function optionOf(flag: string, row: FlagRow, help: string): Option {
  const o = new Option(flag, help);
  if (row.repeat) o.argParser(collect);
  return o;
}

/** Declare the table's options `keys` on `cmd`; those in `required` must be given. */
export function addFlags(cmd: Command, keys: readonly FlagKey[], required: readonly FlagKey[] = []): Command {
  for (const key of keys) {
    const row: FlagRow = FLAGS[key];
    const shown = shownDefault(row);
    const option = optionOf(row.flag, row, shown === undefined ? row.help : `${row.help} (default: ${shown})`);
    if (required.includes(key)) option.makeOptionMandatory();
    cmd.addOption(option);
    const arg = /<[^>]+>|\[[^\]]+\]/.exec(row.flag)?.[0];
    for (const alias of row.aliases ?? []) cmd.addOption(optionOf(arg ? `${alias} ${arg}` : alias, row, `deprecated spelling of ${longFlag(row)}`).hideHelp());
  }
  return cmd;
}

/**
 * The values of `keys` after `cmd` parsed its arguments, by table name; an old spelling is taken, with a note on
 * stderr naming the new one.
 */
export function flagValues(cmd: Command, keys: readonly FlagKey[], note: (msg: string) => void = (m) => process.stderr.write(`${cmd.name()}: ${m}\n`)): FlagValues {
  const opts = cmd.opts<Record<string, string | string[] | boolean | undefined>>();
  const out: FlagValues = {};
  for (const key of keys) {
    const row: FlagRow = FLAGS[key];
    let v = opts[new Option(row.flag).attributeName()];
    for (const alias of row.aliases ?? []) {
      const old = opts[new Option(alias).attributeName()];
      if (old === undefined) continue;
      note(`${alias} is deprecated, use ${longFlag(row)} (same syntax)`);
      v ??= old;
    }
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * The config value of a flag as given (parsed and checked as the config key is), or the schema's default when it
 * was not: for commands that take a few keys without a whole config. A command's own option (no config key) is
 * parsed by its row, else the row's default.
 */
export function flagOrDefault(values: FlagValues, key: FlagKey): unknown {
  const row: FlagRow = FLAGS[key];
  if (!row.path) {
    const given = values[key];
    if (typeof given !== 'string' || !row.parse) return given ?? row.default;
    try {
      return row.parse(given);
    } catch (err) {
      throw new Error(`${longFlag(row)}: ${(err as Error).message}`);
    }
  }
  if (values[key] === undefined) return defaultAt(row.path);
  let v: unknown = applyFlags({}, { [key]: values[key] });
  for (const k of row.path.split('.')) v = (v as Record<string, unknown>)[k];
  const problem = problemAt(row.path, v);
  if (problem) throw new Error(`${longFlag(row)}: ${problem}`);
  return v;
}
