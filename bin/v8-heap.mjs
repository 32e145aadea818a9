/**
 * V8 heap sizing of `vigil run`, applied by bin/vigil.mjs before anything else is loaded (bench/memory/stage.mjs
 * applies it the same way). V8 grows its young generation from 1 MB up to 16 MB per semi-space (three of them
 * resident while it grows) when a process allocates fast, as a live detector does; for `vigil run` that was ~30 MB
 * of RSS in garbage waiting to be collected (bench/memory.ts: 172 -> 141 MB at 1,000 sensors x window 64). Node
 * reads `--max-semi-space-size` only at start, so it would need NODE_OPTIONS; `--semi-space-growth-factor` is read
 * each time V8 would grow, so setting it to 1 here keeps the young generation at its initial 1 MB semi-space, the
 * same as `--max-semi-space-size=1`. Other commands (train, score, evaluate: short, allocation-heavy batch jobs)
 * keep V8's defaults, and so does anyone who sizes the young generation themselves (execArgv or NODE_OPTIONS).
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
