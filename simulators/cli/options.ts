/** Option parsers of the simulator commands (the numeric ones and durations every command shares are runtime/util/parse-option.ts); each error says what was expected. */
import { InvalidArgumentError } from 'commander';
import { durationParser } from '@vigil/runtime/util/parse-option.ts';

/** A duration like `500ms`, `30s`, `10m`, `2h`, `1d` (bare numbers are seconds) -> ms. */
export const parseDuration = durationParser('s');

/** `realtime` -> 1, `max` -> Infinity, or a positive factor (`60` = one recorded minute per second). */
export function parseSpeed(v: string): number {
  if (v === 'realtime') return 1;
  if (v === 'max') return Infinity;
  const n = Number(v.replace(/x$/, ''));
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a positive factor like 60, or 'realtime' or 'max'; got '${v}'`);
  return n;
}

/** A TCP port, 0 meaning any free one. */
export function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0..65535 (0 = any free port); got '${v}'`);
  return n;
}

/** A probability, also written as a fraction like `1/3000`. */
export function parseRate(v: string): number {
  const m = /^\s*([\d.]+)\s*\/\s*([\d.]+)\s*$/.exec(v);
  const n = m ? Number(m[1]) / Number(m[2]) : Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a probability per reading in [0, 1], e.g. 0.0005 or 1/2000; got '${v}'`);
  return n;
}

/** QoS 0, 1 or 2. */
export function parseQos(v: string): 0 | 1 | 2 {
  if (v !== '0' && v !== '1' && v !== '2') throw new InvalidArgumentError(`expected 0, 1 or 2; got '${v}'`);
  return Number(v) as 0 | 1 | 2;
}

/** A timestamp in any form the CSV reader accepts -> epoch ms. */
export async function parseWhen(v: string): Promise<number> {
  const { parseTimestamp } = await import('@vigil/runtime/data/timestamp.ts');
  const t = parseTimestamp(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected a timestamp like '2013-12-10 00:00:00' or 2013-12-10T00:00:00Z; got '${v}'`);
  return t;
}

/** Run a commander program on argv; help and usage errors become exit codes instead of process.exit. */
export async function runProgram(program: import('commander').Command, args: string[]): Promise<number> {
  program.exitOverride();
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version') return 0;
    if (code?.startsWith('commander.')) return 2;
    throw err;
  }
}
