/**
 * V8 heap sizing of `vigil run`, applied by bin/vigil.mjs before anything else is loaded (bench/memory/stage.mjs
 * applies it the same way). V8 reads the flag whenever it resizes a space, so setting it here (not only on node's
 * command line) takes effect:
 * - The young generation. V8 grows it from 1 MB up to 16 MB per semi-space (three of them resident while it grows)
 *   when a process allocates fast, as a live detector does; for `vigil run` that was ~30 MB of RSS in garbage
 *   waiting to be collected (bench/memory.ts: 172 -> 141 MB at 1,000 sensors x window 64). `--semi-space-growth-factor`
 *   set to 1 keeps it at its initial 1 MB semi-space, the same as `--max-semi-space-size=1`.
 * - The old generation is left to V8 (up to 4x what survived the last full collection): bounding it to a quarter
 *   (`--heap-growing-percent=25`) cut an alert storm's RSS from 220-229 to 149-154 MB (bench/soak.ts) but raised the
 *   p99 publish -> alert at 10,000 readings/s from 30-46 to 57-77 ms (bench/ab-sustained.ts, two runs), so it comes
 *   with `lowMemory: true` (runtime/ops/runtime.ts), not by default.
 * Other commands (train, score, evaluate: short, allocation-heavy batch jobs) keep V8's defaults, and so does
 * anyone who sizes the young generation themselves (execArgv or NODE_OPTIONS).
 */
import v8 from 'node:v8';

/** Commands that run for days with a steady allocation rate: RSS matters more than scavenge count. */
export const LONG_RUNNING = new Set(['run']);

/** The V8 flag set for long-running commands. */
export const HEAP_FLAG = '--semi-space-growth-factor=1';

/** Apply the heap sizing for `command` unless the user sized the young generation; returns the flag set, or null. */
export function sizeHeap(command, execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '') {
  if (!LONG_RUNNING.has(command)) return null;
  if (/--(max-|min-)?semi[-_]space[-_]|--semi[-_]space[-_]growth/.test(`${execArgv.join(' ')} ${nodeOptions}`)) return null;
  v8.setFlagsFromString(HEAP_FLAG);
  // V8 raises the factor back to its minimum of 2, process-wide, whenever it configures a new heap, i.e. for each
  // worker thread (ONNX Runtime's runs in one): set it again once the worker is up.
  process.on('worker', (w) => w.once('online', () => v8.setFlagsFromString(HEAP_FLAG)));
  return HEAP_FLAG;
}
