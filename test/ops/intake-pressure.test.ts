/**
 * What holds the QoS 1 intake (runtime/ops/intake-pressure.ts): the waiting windows' bytes, or the time scoring them
 * would take at the recent pace of the model in service (its warm-up's before its first batch, after a hot reload too)
 * as the same share of the memory bound, whichever is more; the reorder stage's bounds at QoS 1 drawn from the room
 * above the pause mark (reorder-limits.ts), and its clock stopped while the intake is held (paused-clock.ts).
 */
import { describe, expect, it } from 'vitest';
import { asyncScheduler, VirtualTimeScheduler } from 'rxjs';
import { IntakePressure, type Warmup } from '../../runtime/ops/intake-pressure.ts';
import { LEAST_REORDER_READINGS, reorderLimits } from '../../runtime/ops/reorder-limits.ts';
import { HELD_POLL_MS, pausedClock } from '../../runtime/ops/paused-clock.ts';
import { pendingViewBytes } from '../../runtime/stream/infer-batches.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';

const MB = 1_000_000;
const card = {};

describe('the intake pressure', () => {
  it('is the memory until batches set a pace, then the drain time as a share of the memory bound when that is more', () => {
    const seen: number[] = [];
    const p = new IntakePressure({ update: (x) => seen.push(x) }, { maxPendingBytes: MB, stopDrainMs: 5000, pauseIntakeAt: 0.5, stride: 1 });
    p.pending(2000, 2000);
    expect(seen).toEqual([2000]);
    expect(p.drainMs()).toBe(0);
    // 1 ms a window: 60 ms of model, 30 of assembly, 10 of scoring for 100 windows.
    p.batch({ card, size: 100, inferMs: 60, assembleMs: 30, scoreMs: 10 });
    p.pending(2000, 2500);
    expect(p.drainMs()).toBeCloseTo(2500);
    expect(seen.at(-1)).toBeCloseTo(0.5 * MB);
    // The memory speaks when it is nearer its bound.
    p.pending(0.8 * MB, 2500);
    expect(seen.at(-1)).toBe(0.8 * MB);
    // The pace follows the recent batches: ten times faster ones bring it down towards 0.1 ms a window.
    for (let i = 0; i < 40; i++) p.batch({ card, size: 100, inferMs: 6, assembleMs: 3, scoreMs: 1 });
    expect(p.drainMs()).toBeLessThan(2500 * 0.12);
    // A model swapped in starts its own pace: one batch of a model 100 times slower is its pace at once.
    p.batch({ card: {}, size: 100, inferMs: 1000, assembleMs: 0, scoreMs: 0 });
    expect(p.drainMs()).toBeCloseTo(2500 * 10);
  });

  it('lets the reorder stage hold what the rest of the stop drain can score: a few before a pace is known, any number without a drain', () => {
    const p = new IntakePressure({ update: () => {} }, { maxPendingBytes: MB, stopDrainMs: 5000, pauseIntakeAt: 0.5, stride: 2 });
    expect(p.heldRoom()).toBe(LEAST_REORDER_READINGS);
    expect(new IntakePressure({ update: () => {} }, { maxPendingBytes: MB, stopDrainMs: 0, pauseIntakeAt: 0.5, stride: 2 }).heldRoom()).toBe(Number.POSITIVE_INFINITY);
    // 1 ms a window, stride 2: 2.5 s score 2,500 windows, 5,000 readings.
    p.batch({ card, size: 100, inferMs: 100, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(5000);
    p.batch({ card: {}, size: 1, inferMs: 60_000, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(LEAST_REORDER_READINGS);
  });

  it('takes the warm-up as its pace until the first batch says better', () => {
    // 65 windows in 65 ms: 1 ms a window, 2,500 readings in the rest of the drain.
    let warm: Warmup = { card, ms: 65, windows: 65 };
    const p = new IntakePressure({ update: () => {} }, { maxPendingBytes: MB, stopDrainMs: 5000, pauseIntakeAt: 0.5, stride: 1 }, () => warm);
    expect(p.heldRoom()).toBe(2500);
    p.pending(0, 1000);
    expect(p.drainMs()).toBeCloseTo(1000);
    p.batch({ card, size: 100, inferMs: 10, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(25_000);
    // A warm-up never replaces a pace measured of its model.
    warm = { card, ms: 6500, windows: 65 };
    expect(p.heldRoom()).toBe(25_000);
  });

  it("after a hot reload takes the new model's warm-up until its first batch, not the old model's pace", () => {
    const fast = {};
    const slow = {};
    let warm: Warmup = { card: fast, ms: 65, windows: 65 };
    const p = new IntakePressure({ update: () => {} }, { maxPendingBytes: MB, stopDrainMs: 5000, pauseIntakeAt: 0.5, stride: 1 }, () => warm);
    // The fast model at 0.1 ms a window: 25,000 readings.
    for (let i = 0; i < 10; i++) p.batch({ card: fast, size: 100, inferMs: 10, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(25_000);
    // A model 100 times slower swapped in (10 ms a window at its warm-up): 250 readings, and its drain time, at once.
    warm = { card: slow, ms: 650, windows: 65 };
    expect(p.heldRoom()).toBe(250);
    p.pending(0, 100);
    expect(p.drainMs()).toBeCloseTo(1000);
    // A batch of the fast model still in flight says nothing of the slow one.
    p.batch({ card: fast, size: 100, inferMs: 10, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(250);
    // The slow model's first batch (5 ms a window) is its pace from then on.
    p.batch({ card: slow, size: 100, inferMs: 500, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(500);
    // The fast model's last batch, landing after the slow one's first (a review: the pace went back to the
    // warm-up's, and the slow model's measured batch was forgotten), says nothing of it either.
    p.batch({ card: fast, size: 100, inferMs: 10, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(500);
    p.batch({ card: slow, size: 100, inferMs: 500, assembleMs: 0, scoreMs: 0 });
    expect(p.heldRoom()).toBe(500);
  });

  it('has no time bound without a stop drain', () => {
    const seen: number[] = [];
    const q = new IntakePressure({ update: (x) => seen.push(x) }, { maxPendingBytes: MB, stopDrainMs: 0, pauseIntakeAt: 0.5, stride: 1 });
    q.batch({ card, size: 1, inferMs: 1000, assembleMs: 0, scoreMs: 0 });
    q.pending(1234, 1000);
    expect(seen).toEqual([1234]);
  });
});

describe('the reorder stage in the live runtime', () => {
  const defaults = RunConfigSchema.parse({ model: 'm', broker: { url: 'mqtt://x' }, source: { topics: ['s/{sensor}/data'] } });
  const at = (qos: number, channels: number, batch = defaults.batch, stride = 1) =>
    reorderLimits({ qos, window: { ...defaults.window, stride }, batch, windowBytes: pendingViewBytes(channels, stride) });
  const unchanged = { reorderMaxReadings: defaults.window.reorderMaxReadings, reorderMaxPerSensor: defaults.window.reorderMaxPerSensor, lowered: false };

  it('at QoS 1 holds at most what the room above the pause mark takes, less a micro-batch; the defaults stand up to 23 channels', () => {
    expect(at(1, 23)).toEqual(unchanged);
    const wide = at(1, 24);
    expect(wide.lowered).toBe(true);
    expect((wide.reorderMaxReadings + defaults.batch.size) * pendingViewBytes(24)).toBeLessThanOrEqual(defaults.batch.maxPendingBytes * (1 - defaults.batch.pauseIntakeAt));
    const small = at(1, 2, { ...defaults.batch, maxPendingBytes: 1000 * pendingViewBytes(2) });
    expect(small).toEqual({ reorderMaxReadings: 500 - defaults.batch.size, reorderMaxPerSensor: 500 - defaults.batch.size, lowered: true });
    // A reading is a stride's share of a window.
    expect(at(1, 200, defaults.batch, 10).reorderMaxReadings).toBeGreaterThan(at(1, 200).reorderMaxReadings);
    // No room above the mark: it still reorders a little.
    expect(at(1, 8, { ...defaults.batch, pauseIntakeAt: 1 }).reorderMaxReadings).toBe(LEAST_REORDER_READINGS);
  });

  it('at QoS 0 keeps the configured bounds (nothing waits at the broker)', () => {
    expect(at(0, 200, { ...defaults.batch, maxPendingBytes: 4096 })).toEqual(unchanged);
  });

  it('keeps time only while the intake reads, and polls no faster than HELD_POLL_MS while it is held', () => {
    const gate = { paused: false, pausedMs: () => 0 };
    const clock = pausedClock(asyncScheduler, gate);
    const t0 = clock.now();
    gate.pausedMs = () => 5000;
    expect(clock.now() - t0).toBeLessThan(-4000);
    const virtual = new VirtualTimeScheduler();
    const fired: number[] = [];
    const held = pausedClock(virtual, gate);
    held.schedule(() => fired.push(virtual.now()), 1);
    gate.paused = true;
    held.schedule(() => fired.push(virtual.now()), 1);
    virtual.flush();
    expect(fired).toEqual([1, HELD_POLL_MS]);
  });
});
