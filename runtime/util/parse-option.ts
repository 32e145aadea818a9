/**
 * Parsers for numeric command-line options (commander `argParser`s) shared by the train, adapt and simulate
 * commands; each error says what was expected and what was given.
 */
import { InvalidArgumentError } from 'commander';

/** A finite number (any sign); blank text is refused rather than read as 0. */
export function parseNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number; got '${v}'`);
  return n;
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
