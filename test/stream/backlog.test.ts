/**
 * Backlogs through the whole pipeline with real ONNX Runtime: a burst of one sensor (a gateway flushing its
 * offline buffer) is scored, not dropped; shedding happens only past the memory bound, counted and logged exactly.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { resolveSession } from '../../runtime/inference/resolve.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { pendingViewBytes } from '../../runtime/stream/infer-batches.ts';
import { createPipeline } from '../../runtime/stream/pipeline.ts';
import type { Reading } from '../../runtime/stream/types.ts';
import { StaticThreshold } from '../../runtime/thresholds/static.ts';
import { shedWarning, type ShedWarningClock } from '../../runtime/ops/shed-warning.ts';
import { mulberry32, tinyModel } from '@vigil/fixtures/tiny-model.ts';

const W = 8;
const channels = ['current', 'vibration'];
const fixture = tinyModel({ window: W, channels, span: 1 });

async function openRef() {
  const { session } = await resolveSession(['cpu'], { onnx: fixture.onnx, inputName: 'input', outputName: 'reconstruction', window: W, channels: 2 });
  return new ModelRef(fixture.card, session);
}

/** `rows` readings of one sensor, 1 s apart. */
function burst(sensor: string, rows: number, seed = 5): Reading[] {
  const rand = mulberry32(seed);
  return Array.from({ length: rows }, (_, r) => ({ sensor, ts: 1_000_000 + r * 1000, values: { current: 3 + rand(), vibration: 1 + rand() }, receivedAt: r }));
}

/** A clock whose timer runs only when the test says so. */
function manualClock() {
  let t = 0;
  let pending: { f: () => void; at: number } | undefined;
  const clock: ShedWarningClock = {
    now: () => t,
    setTimeout: (f, ms) => (pending = { f, at: t + ms }),
    clearTimeout: () => (pending = undefined),
  };
  const advance = (ms: number) => {
    t += ms;
    if (pending && pending.at <= t) {
      const { f } = pending;
      pending = undefined;
      f();
    }
  };
  return { clock, advance, pendingAt: () => pending?.at };
}

describe('backlogs', () => {
  it("scores one sensor's 5,000-window backlog arriving in one tick completely and in order, with the shipped defaults", async () => {
    const ref = await openRef();
    const counters = createCounters();
    const batches: number[] = [];
    const p = createPipeline({ model: ref, thresholds: () => new StaticThreshold(1e9), infer: { onBatch: (b) => batches.push(b.size) }, counters });
    // Synchronous: all 5,007 readings are cut into windows before the first inference call can finish.
    const out = await lastValueFrom(from(burst('gw-1', 5000 + W - 1)).pipe(p.detect, toArray()));
    expect(out.map((d) => d.verdict.seq)).toEqual(Array.from({ length: 5000 }, (_, k) => k + W - 1));
    expect(counters).toMatchObject({ windows: 5000, scored: 5000, droppedQueueFull: 0, pending: 0, pendingBytes: 0 });
    // Batched: the first micro-batch goes at once, the backlog behind it in batches up to batch.maxBatch (auto: 256
    // on the CPU provider that runs it).
    expect(batches[0]).toBe(64);
    expect(Math.max(...batches)).toBe(256);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(5000);
    await ref.close();
  });

  it('sheds only past a tiny memory bound, the longest backlog first, and logs and counts every shed window exactly', async () => {
    const ref = await openRef();
    const counters = createCounters();
    const lines: { shed: number; sensors: Record<string, number> }[] = [];
    const { clock, advance, pendingAt } = manualClock();
    // The pipeline's windows are views into their sensor's rows: each costs its object and one row, not W rows.
    const bound = 10 * pendingViewBytes(channels.length);
    const warn = shedWarning({ warn: (o) => lines.push(o as (typeof lines)[number]) }, bound, 10_000, clock);
    const p = createPipeline({
      model: ref,
      thresholds: () => new StaticThreshold(1e9),
      // The source completes synchronously, which flushes the last partial micro-batch: no timer races inference.
      batch: { size: 16, maxWaitMs: 60_000 },
      infer: { maxPendingBytes: bound, onShed: warn.shed },
      counters,
    });
    // One flooding sensor (200 windows) and one quiet sensor (its 3 windows come last), all in one tick.
    const readings = [...burst('flood', 200 + W - 1), ...burst('quiet', 3 + W - 1, 9)];
    const out = await lastValueFrom(from(readings).pipe(p.detect, toArray()));
    // 16 go to the idle model at once; 10 fit the bound; every other window is shed. The quiet sensor loses nothing.
    expect(counters).toMatchObject({ windows: 203, scored: 26, droppedQueueFull: 203 - 26, pending: 0 });
    expect(out.filter((d) => d.verdict.sensor === 'quiet').map((d) => d.verdict.seq)).toEqual([W - 1, W, W + 1]);
    // The flood keeps its newest windows: the oldest of the longest backlog went first.
    expect(out.filter((d) => d.verdict.sensor === 'flood').map((d) => d.verdict.seq)).toEqual([
      ...Array.from({ length: 16 }, (_, k) => k + W - 1),
      ...Array.from({ length: 7 }, (_, k) => 193 + k + W - 1),
    ]);
    // One line at the first shed, the rest summed into one line at the end of the interval: exact, not per window.
    expect(lines).toEqual([{ shed: 1, sensors: { flood: 1 }, sensorCount: 1, maxPendingBytes: bound }]);
    expect(pendingAt()).toBe(10_000);
    advance(10_000);
    expect(lines.map((l) => l.shed)).toEqual([1, 176]);
    expect(lines.reduce((a, l) => a + l.shed, 0)).toBe(counters.droppedQueueFull);
    warn.flush();
    expect(lines.length).toBe(2);
    await ref.close();
  });
});
