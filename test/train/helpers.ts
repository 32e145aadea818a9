/** Shared fixtures for training tests: repo-relative paths, temp dirs, max-abs-diff. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Series } from '@vigil/runtime';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root. */
export const REPO = resolve(import.meta.dirname, '../..');
/** NAB machine temperature series (MIT, ../shared next to the repo). */
export const NAB_MACHINE_TEMP = resolve(REPO, '../shared/datasets/nab/data/realKnownCause/machine_temperature_system_failure.csv');
/** Whether the NAB corpus is present. */
export const HAS_NAB = existsSync(NAB_MACHINE_TEMP);

/** A fresh temp directory. */
export function tempDir(prefix = 'vigil-train-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Largest absolute element difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Run `f` with stdout captured (returned as `out`) and stderr silenced, as a user's terminal would not show them. */
export function quietly<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  // Through a promise, so that a synchronous throw of `f` restores the streams too.
  return Promise.resolve().then(f).then((value) => ({ value, out })).finally(() => { process.stdout.write = write; process.stderr.write = err; });
}

/** A file's sha256, hex (a model pair left as it was, or replaced). */
export const sha256File = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** A pump series (8 channels) with temperature (channel 2) and pressure (3) moved by k steps of +1 C / +0.2 bar, `days` later. */
export function drifted(s: Series, k: number, days: number): Series {
  const data = s.data.slice();
  for (let r = 0; r < s.timestamps.length; r++) {
    data[r * 8 + 2] += k;
    data[r * 8 + 3] += 0.2 * k;
  }
  return { ...s, data, timestamps: s.timestamps.map((t) => t + days * 86_400_000) };
}
