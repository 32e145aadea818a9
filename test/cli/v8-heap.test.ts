/**
 * The V8 heap sizing `vigil run` starts with (bin/v8-heap.mjs): a 1 MB young generation unless the user sized it. The
 * old generation is V8's (bounding it raised the p99 at 10,000 readings/s): `lowMemory` bounds it (docs/run.md "Memory").
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the launcher, without types
import { sizeHeap } from '../../bin/v8-heap.mjs';

const size = sizeHeap as (command: string, execArgv: string[], nodeOptions: string) => string | null;

describe('V8 heap sizing of long-running commands', () => {
  it('sets the young generation for vigil run, and nothing for batch commands', () => {
    expect(size('run', [], '')).toBe('--semi-space-growth-factor=1');
    for (const command of ['train', 'score', 'evaluate', 'demo']) expect(size(command, [], '')).toBeNull();
  });

  it("leaves it to a user who sized it, in node's arguments or NODE_OPTIONS", () => {
    expect(size('run', ['--max-semi-space-size=8'], '')).toBeNull();
    expect(size('run', [], '--semi_space_growth_factor=2')).toBeNull();
    expect(size('run', [], '--max-old-space-size=512')).toBe('--semi-space-growth-factor=1');
  });
});
