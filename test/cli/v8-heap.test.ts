/**
 * The V8 heap sizing `vigil run` starts with (bin/v8-heap.mjs): a 1 MB young generation and an old generation that
 * grows by a quarter over what survived, each unless the user sized it. Without the second, a soak with alerts at
 * 1,000 sensors ran at 220-229 MB of RSS against 151-154 MB with it (bench/soak.ts, docs/run.md "Memory").
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the launcher, without types
import { sizeHeap } from '../../bin/v8-heap.mjs';

const size = sizeHeap as (command: string, execArgv: string[], nodeOptions: string) => string | null;

describe('V8 heap sizing of long-running commands', () => {
  it('sets both flags for vigil run, and none for batch commands', () => {
    expect(size('run', [], '')).toBe('--semi-space-growth-factor=1 --heap-growing-percent=25');
    for (const command of ['train', 'score', 'evaluate', 'demo']) expect(size(command, [], '')).toBeNull();
  });

  it("leaves each to a user who sized it, in node's arguments or NODE_OPTIONS", () => {
    expect(size('run', ['--max-semi-space-size=8'], '')).toBe('--heap-growing-percent=25');
    expect(size('run', [], '--max-old-space-size=512')).toBe('--semi-space-growth-factor=1');
    expect(size('run', [], '--heap_growing_percent=60')).toBe('--semi-space-growth-factor=1');
    expect(size('run', ['--optimize-for-size'], '')).toBe('--semi-space-growth-factor=1');
    expect(size('run', ['--semi-space-growth-factor=2'], '--max-heap-size=300')).toBeNull();
  });
});
