/**
 * Parsers for numeric command-line options (commander `argParser`s) shared by the train, adapt, evaluate and
 * simulate commands; each error says what was expected and what was given, in the same words:
 * `expected <what>; got '<text>'`.
 */
import { InvalidArgumentError } from 'commander';
import { durationMs } from './duration.ts';

/** A finite number (any sign); blank text is refused rather than read as 0. */
export function parseNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number; got '${v}'`);
  return n;
}

/**
 * A comma-separated list, each item trimmed, empty ones left out (`a, b,,c` -> a, b, c). An item in double quotes
 * may hold commas, as a quoted CSV header does (`"Flow, m³/h",temp`; `""` is a quote): a column so named could not
 * be given to --channels or --ignore before (a probe).
 */
export function parseList(v: string): string[] {
  const items: string[] = [];
  let item = '';
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (quoted) {
      if (ch !== '"') item += ch;
      else if (v[i + 1] === '"') item += v[i++];
      else quoted = false;
    } else if (ch === '"' && item.trim() === '') {
      quoted = true;
      item = '';
    } else if (ch === ',') {
      items.push(item.trim());
      item = '';
    } else item += ch;
  }
  items.push(item.trim());
  return items.filter(Boolean);
}

/** One of `choices`, as given. */
export function oneOf<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}; got '${v}'`);
    return v as T;
  };
}

/** A positive integer. */
export function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number >= 1; got '${v}'`);
  return n;
}

/** A non-negative integer. */
export function parseCount(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number >= 0; got '${v}'`);
  return n;
}

/**
 * A parser of durations like `500ms`, `30s`, `10m`, `2h`, `1d` -> ms. A bare number is in `bare` units (a
 * simulator's interval is seconds, an evaluation tolerance milliseconds: each command keeps the unit it documents);
 * 0 is accepted only with `zero` (a tolerance of none).
 */
export function durationParser(bare: 'ms' | 's', { zero = false } = {}): (v: string) => number {
  const unit = bare === 's' ? 'seconds' : 'milliseconds';
  return (v) => {
    const n = durationMs(v, bare) ?? NaN;
    if (!(n > 0 || (zero && n === 0))) throw new InvalidArgumentError(`expected a duration like 500ms, 30s, 10m, 2h or 1d (a bare number is ${unit}${zero ? '; 0 = none' : ''}); got '${v}'`);
    return n;
  };
}
