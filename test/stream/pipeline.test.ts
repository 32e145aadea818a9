/**
 * createPipeline with real ONNX Runtime: many sensors at once, an injected fault raising exactly one alert on
 * the right sensor at the right time, exact accounting under overload, and a hot swap mid-stream.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, map, Observable, timer, toArray } from 'rxjs';
import type { BatchRunner } from '../../runtime/inference/model-ref.ts';
import { newScheduler, rd } from './helpers.ts';
import { resolveSession } from '../../runtime/inference/resolve.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { createPipeline, splitDetections } from '../../runtime/stream/pipeline.ts';
import { pendingViewBytes } from '../../runtime/stream/infer-batches.ts';
import type { Reading } from '../../runtime/stream/types.ts';
import { StaticThreshold } from '../../runtime/thresholds/static.ts';
import { mulberry32, tinyModel } from '@vigil/fixtures/tiny-model.ts';

const W = 8;
const channels = ['current', 'vibration'];
const fixture = tinyModel({ window: W, channels, span: 1 });

async function openRef(m = fixture) {
  const { session } = await resolveSession(['cpu'], { onnx: m.onnx, inputName: 'input', outputName: 'reconstruction', window: W, channels: 2 });
  return { ref: new ModelRef(m.card, session), session };
}

/** `sensors` sensors, `rows` readings each, interleaved, 1 s apart; a vibration spike on one sensor at one row. */
function fleet(sensors: number, rows: number, spike?: { sensor: number; row: number }): Reading[] {
  const rand = mulberry32(11);
  const out: Reading[] = [];
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < sensors; s++) {
      const ts = 1_000_000 + r * 1000;
      const vib = 1 + 0.01 * rand() + (spike && spike.sensor === s && spike.row === r ? 5 : 0);
      out.push({ sensor: `pump-${s}`, ts, values: { current: 3 + 0.01 * rand(), vibration: vib }, receivedAt: ts });
    }
  }
  return out;
}

/** Emit readings in slices on macrotasks, like a live source, so inference overlaps intake. */
function live(readings: Reading[], slice: number): Observable<Reading> {
  return new Observable<Reading>((sub) => {
    let i = 0;
    let stopped = false;
    const step = () => {
      if (stopped) return;
      for (const end = Math.min(readings.length, i + slice); i < end; i++) sub.next(readings[i]);
      if (i < readings.length) setImmediate(step);
      else sub.complete();
    };
    setImmediate(step);
    return () => (stopped = true);
  });
}

describe('createPipeline', () => {
  it('runs the whole path in virtual time: batch by size or wait, one batch at a time, verdicts then alerts', () => {
    const ts = newScheduler();
    const { card } = tinyModel({ window: 2, channels: ['a'], span: 1 });
    // All-zero reconstruction: the score is the newest value squared. Each batch takes 2 frames.
    const calls: [number, number][] = [];
    const session: BatchRunner = {
      provider: 'fake/virtual',
      run: (_x, n) => (calls.push([ts.now(), n]), timer(2).pipe(map(() => ({ reconstruction: new Float32Array(n * 2), extra: {} })))),
    };
    const got: [number, number, number, boolean, string | undefined][] = [];
    let completedAt = -1;
    ts.run(({ cold }) => {
      const p = createPipeline({ model: new ModelRef(card, session), thresholds: () => new StaticThreshold(0.5), batch: { size: 2, maxWaitMs: 3 }, alerts: { closeM: 1 } });
      cold('abcd|', { a: rd('p', 1, { a: 0 }), b: rd('p', 2, { a: 0 }), c: rd('p', 3, { a: 1 }), d: rd('p', 4, { a: 0 }) })
        .pipe(p.detect)
        .subscribe({ next: (d) => got.push([ts.now(), d.verdict.seq, d.verdict.score, d.alertOpen, d.alert?.type]), complete: () => (completedAt = ts.now()) });
    });
    // Windows end at b, c, d. b+c fill a batch at frame 2 (done at 4); d waits while it runs and goes at 4 (done at 6).
    expect(calls).toEqual([[2, 2], [4, 1]]);
    expect(got).toEqual([[4, 1, 0, false, undefined], [4, 2, 1, true, 'open'], [6, 3, 0, false, 'close']]);
    expect(completedAt).toBe(6);
  });

  it("a clock the window stage steps back also starts the reorder stage's order afresh, so readings swapped after the step are put back in order (a review)", () => {
    const ts = newScheduler();
    const { card } = tinyModel({ window: 3, channels: ['a'], span: 1 });
    const timed = { ...card, data: { ...card.data!, intervalMs: 1000 } };
    const session: BatchRunner = { provider: 'fake/virtual', run: (_x, n) => timer(0).pipe(map(() => ({ reconstruction: new Float32Array(n * 3), extra: {} }))) };
    const steps: number[] = [];
    let counters: ReturnType<typeof createPipeline>['counters'] | undefined;
    ts.run(({ cold }) => {
      const T = 1_700_000_000_000;
      // Readings a second apart (1 frame here stands for a second of arrival), then 10 minutes behind; two of the new
      // clock's readings swapped on the way after the step.
      const on = (i: number, back = 0, at = i) => rd('p', T + 1000 * i - back, { a: i % 3 }, T + 1000 * at);
      const seq = [...Array.from({ length: 6 }, (_, i) => on(i)), on(6, 600_000), on(7, 600_000), on(8, 600_000), on(10, 600_000, 9), on(9, 600_000, 10), on(11, 600_000)];
      const keys = seq.map((_, i) => String.fromCharCode(0x100 + i));
      const p = createPipeline({ model: new ModelRef(timed, session), thresholds: () => new StaticThreshold(0.5), batch: { size: 1, maxWaitMs: 0 }, window: { reorderMs: 1500, onClockStep: (_s, from, to) => steps.push(to - from) }, scheduler: ts });
      counters = p.counters;
      cold(`${keys.join(' 999ms ')}|`, Object.fromEntries(seq.map((r, i) => [keys[i], r]))).pipe(p.detect).subscribe();
    });
    expect(steps).toHaveLength(1);
    // The two refused before the step (window 3), none after it: the swapped pair was reordered, not refused.
    expect([counters!.clockSteps, counters!.outOfOrder, counters!.reordered, counters!.duplicates, counters!.timestampConflicts]).toEqual([1, 2, 1, 0, 0]);
  });

  it('raises one alert for the faulty sensor at the spike, among many sensors, scoring every window once', async () => {
    const { ref } = await openRef();
    const p = createPipeline({ model: ref, thresholds: () => new StaticThreshold(0.5), batch: { size: 64, maxWaitMs: 1 }, alerts: { closeM: 1 } });
    const readings = fleet(40, 60, { sensor: 17, row: 40 });
    const { verdicts$, alerts$ } = splitDetections(live(readings, 200).pipe(p.detect));
    const [verdicts, alerts] = await Promise.all([lastValueFrom(verdicts$.pipe(toArray())), lastValueFrom(alerts$.pipe(toArray()))]);
    expect(verdicts.length).toBe(40 * (60 - W + 1));
    expect(p.counters).toMatchObject({ readings: 2400, windows: 40 * 53, scored: 40 * 53, droppedQueueFull: 0, pending: 0 });
    expect(alerts.map((a) => [a.type, a.sensor, a.tsLast])).toEqual([
      ['open', 'pump-17', 1_040_000],
      // span 1 scores the newest row only: the next row's error (the spike pulls the mean by 5/W) stays below 0.5.
      ['close', 'pump-17', 1_041_000],
    ]);
    expect(alerts[0].contributors[0].channel).toBe('vibration');
    expect(alerts[0]).toMatchObject({ provider: 'ort-node/cpu', model: { name: 'tiny', version: '0.0.1' } });
    expect(alerts[1]).toMatchObject({ openedAt: 1_040_000, durationMs: 1000 });
    expect(alerts[1].peakScore).toBeCloseTo(alerts[0].score, 6);
    // Per sensor, verdicts come in data order.
    const seqs = verdicts.filter((v) => v.sensor === 'pump-3').map((v) => v.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await ref.close();
  });

  it('under overload keeps memory bounded and accounts for every window: scored + dropped = cut', async () => {
    const { ref } = await openRef();
    const counters = createCounters();
    const p = createPipeline({ model: ref, thresholds: () => new StaticThreshold(0.5), batch: { size: 16, maxWaitMs: 0 }, infer: { maxPendingBytes: 64 * pendingViewBytes(channels.length) }, counters });
    // Synchronous firehose: nothing can run until all 20k readings have been pushed.
    const out = await lastValueFrom(from(fleet(100, 200)).pipe(p.detect, toArray()));
    const dropped = counters.droppedQueueFull;
    expect(counters.windows).toBe(100 * (200 - W + 1));
    expect(dropped).toBeGreaterThan(0);
    expect(counters.scored + dropped).toBe(counters.windows);
    expect(out.length).toBe(counters.scored);
    expect(counters.scored).toBeLessThanOrEqual(16 + 64);
    await ref.close();
  });

  it('swaps the model mid-stream without losing or repeating a window', async () => {
    const { ref } = await openRef();
    const other = tinyModel({ window: W, channels, span: 1, name: 'tiny', scaler: { kind: 'standard', offset: [3, 1], scale: [1, 1] } });
    const next = await resolveSession(['wasm'], { onnx: other.onnx, inputName: 'input', outputName: 'reconstruction', window: W, channels: 2 });
    const readings = fleet(5, 300);
    const make = () => createPipeline({ model: ref, thresholds: () => new StaticThreshold(0.5), batch: { size: 8, maxWaitMs: 0 } });
    const baseline = await lastValueFrom(live(readings, 50).pipe(make().detect, toArray()));
    const p = make();
    const got: { key: string; provider: string; score: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      live(readings, 50).pipe(p.detect).subscribe({
        next: (d) => {
          got.push({ key: `${d.verdict.sensor}#${d.verdict.seq}`, provider: d.verdict.provider, score: d.verdict.score });
          if (got.length === 200) ref.swap(other.card, next.session);
        },
        error: reject,
        complete: resolve,
      });
    });
    expect(got.length).toBe(baseline.length);
    expect(new Set(got.map((g) => g.key)).size).toBe(got.length);
    expect(got[0].provider).toBe('ort-node/cpu');
    expect(got[got.length - 1].provider).toBe('ort-web/wasm');
    // Both models reconstruct the window mean, so with windows re-expressed in the new scale the scores agree.
    const byKey = new Map(baseline.map((d) => [`${d.verdict.sensor}#${d.verdict.seq}`, d.verdict.score]));
    for (const g of got) expect(g.score).toBeCloseTo(byKey.get(g.key)!, 5);
    await ref.close();
  });
});
