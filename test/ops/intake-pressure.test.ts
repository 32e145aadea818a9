/**
 * What holds the QoS 1 intake (runtime/ops/intake-pressure.ts): the waiting windows' bytes, or the time scoring them
 * would take at the recent pace as the same share of the memory bound, whichever is more; the reorder stage's bounds
 * drawn from the room above the pause mark (reorder-limits.ts), and its clock stopped while the intake is held
 * (paused-clock.ts).
 */
import { describe, expect, it } from 'vitest';
import { asyncScheduler } from 'rxjs';
import { IntakePressure } from '../../runtime/ops/intake-pressure.ts';
import { reorderLimits } from '../../runtime/ops/reorder-limits.ts';
import { pausedClock } from '../../runtime/ops/paused-clock.ts';
import { pendingViewBytes } from '../../runtime/stream/infer-batches.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';

const MB = 1_000_000;

describe('the intake pressure', () => {
  it('is the memory until batches set a pace, then the drain time as a share of the memory bound when that is more', () => {
    const seen: number[] = [];
    const p = new IntakePressure({ update: (x) => seen.push(x) }, { maxPendingBytes: MB, stopDrainMs: 5000 });
    p.pending(2000, 2000);
    expect(seen).toEqual([2000]);
    expect(p.drainMs()).toBe(0);
    // 1 ms a window: 60 ms of model, 30 of assembly, 10 of scoring for 100 windows.
    p.batch({ size: 100, inferMs: 60, assembleMs: 30, scoreMs: 10 });
    p.pending(2000, 2500);
    expect(p.drainMs()).toBeCloseTo(2500);
    expect(seen.at(-1)).toBeCloseTo(0.5 * MB);
    // The memory speaks when it is nearer its bound.
    p.pending(0.8 * MB, 2500);
    expect(seen.at(-1)).toBe(0.8 * MB);
    // The pace follows the recent batches: ten times faster ones bring it down towards 0.1 ms a window.
    for (let i = 0; i < 40; i++) p.batch({ size: 100, inferMs: 6, assembleMs: 3, scoreMs: 1 });
    expect(p.drainMs()).toBeLessThan(2500 * 0.12);
  });

  it('has no time bound without a stop drain', () => {
    const seen: number[] = [];
    const q = new IntakePressure({ update: (x) => seen.push(x) }, { maxPendingBytes: MB, stopDrainMs: 0 });
    q.batch({ size: 1, inferMs: 1000, assembleMs: 0, scoreMs: 0 });
    q.pending(1234, 1000);
    expect(seen).toEqual([1234]);
  });
});

describe('the reorder stage in the live runtime', () => {
  const defaults = RunConfigSchema.parse({ model: 'm', broker: { url: 'mqtt://x' }, source: { topics: ['s/{sensor}/data'] } });

  it('holds at most what the room above the pause mark takes, less a micro-batch; the defaults are left as they are for 8 channels', () => {
    const eight = reorderLimits({ window: defaults.window, batch: defaults.batch, heldBytes: pendingViewBytes(8) });
    expect(eight).toEqual({ reorderMaxReadings: defaults.window.reorderMaxReadings, reorderMaxPerSensor: defaults.window.reorderMaxPerSensor, lowered: false });
    const small = reorderLimits({ window: defaults.window, batch: { ...defaults.batch, maxPendingBytes: 1000 * pendingViewBytes(2) }, heldBytes: pendingViewBytes(2) });
    expect(small).toEqual({ reorderMaxReadings: 500 - defaults.batch.size, reorderMaxPerSensor: 500 - defaults.batch.size, lowered: true });
    // A wide model under the default bound.
    const wide = reorderLimits({ window: defaults.window, batch: defaults.batch, heldBytes: pendingViewBytes(128) });
    expect(wide.lowered).toBe(true);
    expect(wide.reorderMaxReadings * pendingViewBytes(128) + defaults.batch.size * pendingViewBytes(128)).toBeLessThanOrEqual(defaults.batch.maxPendingBytes * (1 - defaults.batch.pauseIntakeAt));
  });

  it("keeps time only while the intake reads: the clock stands still while it is held", () => {
    let paused = 0;
    const clock = pausedClock(asyncScheduler, () => paused);
    const t0 = clock.now();
    paused = 5000;
    expect(clock.now() - t0).toBeLessThan(-4000);
    expect(typeof clock.schedule(() => {}, 0).unsubscribe).toBe('function');
  });
});
