import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, map, of, timer, toArray, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { InferenceResult } from '../../runtime/inference/backend.ts';
import { ModelRef, type BatchRunner } from '../../runtime/inference/model-ref.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { inferBatches, pendingWindowBytes } from '../../runtime/stream/infer-batches.ts';
import { maxBatchFor } from '../../runtime/inference/max-batch.ts';
import type { ScoredWindow } from '../../runtime/stream/types.ts';
import { newScheduler, sw, tinyCard as card } from './helpers.ts';

/** A session double on virtual time: each batch takes `frames`; `fail(i)` makes call i fail. */
function fakeSession(ts: TestScheduler, frames: number, name = 'fake/test', fail: (call: number) => boolean = () => false) {
  const calls: { n: number; at: number; input: number[] }[] = [];
  let closedAt: number | undefined;
  const session: BatchRunner & { calls: typeof calls; closedAt: () => number | undefined } = {
    provider: name,
    calls,
    closedAt: () => closedAt,
    run(input: Float32Array, n: number): Observable<InferenceResult> {
      calls.push({ n, at: ts.now(), input: Array.from(input.subarray(0, n * 2)) });
      if (fail(calls.length - 1)) return timer(frames).pipe(map(() => { throw new Error(`call ${calls.length} failed`); }));
      return timer(frames).pipe(map(() => ({ reconstruction: new Float32Array(n * 2), extra: {} })));
    },
    async close() {
      closedAt = ts.now();
    },
  };
  return session;
}

/** Subscribe inside the run, record [frame, sensor, seq, score, provider] and the end. */
function record(ts: TestScheduler, out$: Observable<ScoredWindow>) {
  const got: [number, string, number, number, string][] = [];
  const end: { at?: number; error?: string } = {};
  out$.subscribe({
    next: (w) => got.push([ts.now(), w.sensor, w.seq, w.score, w.provider]),
    error: (e) => Object.assign(end, { at: ts.now(), error: (e as Error).message }),
    complete: () => (end.at = ts.now()),
  });
  return { got, end };
}

describe('inferBatches', () => {
  it('runs one call per batch, in order, one at a time, and scores with the card', () => {
    const ts = newScheduler();
    let r!: ReturnType<typeof record>;
    let s!: ReturnType<typeof fakeSession>;
    ts.run(({ cold }) => {
      s = fakeSession(ts, 2);
      const src = cold('-x--y|', { x: [sw('p', 1, 2), sw('q', 1, 3)], y: [sw('p', 2, 4)] });
      r = record(ts, src.pipe(inferBatches({ card, session: s })));
    });
    expect(s.calls.map((c) => [c.at, c.n])).toEqual([[1, 2], [4, 1]]);
    expect(s.calls[0].input).toEqual([0, 2, 0, 3]);
    expect(r.got).toEqual([[3, 'p', 1, 4, 'fake/test'], [3, 'q', 1, 9, 'fake/test'], [6, 'p', 2, 16, 'fake/test']]);
    expect(r.end).toEqual({ at: 6 });
  });

  it('under load a backlog waits whole and goes out in batches, sensors served round-robin, each in order', () => {
    const ts = newScheduler();
    const counters = createCounters();
    let r!: ReturnType<typeof record>;
    let s!: ReturnType<typeof fakeSession>;
    ts.run(({ cold }) => {
      s = fakeSession(ts, 10);
      const batches = Object.fromEntries([1, 2, 3, 4, 5].map((k) => [String(k), [sw('p', k, k), sw('q', k, k)]]));
      const src = cold('a12345|', { a: [sw('p', 0, 0)], ...batches });
      r = record(ts, src.pipe(inferBatches({ card, session: s }, { maxBatch: 4, counters })));
    });
    expect(counters).toMatchObject({ droppedQueueFull: 0, scored: 11, batches: 4, pending: 0, pendingBytes: 0 });
    expect(s.calls.map((c) => [c.at, c.n])).toEqual([[0, 1], [10, 4], [20, 4], [30, 2]]);
    // Each batch gives every waiting sensor its fair share of the room; each sensor's windows keep their order.
    expect(r.got.map(([at, sensor, seq]) => [at, `${sensor}${seq}`])).toEqual([
      [10, 'p0'],
      [20, 'p1'], [20, 'p2'], [20, 'q1'], [20, 'q2'],
      [30, 'p3'], [30, 'p4'], [30, 'q3'], [30, 'q4'],
      [40, 'p5'], [40, 'q5'],
    ]);
  });

  it('serves the sensors that waited longest first when the batch has less room than sensors wait', () => {
    const ts = newScheduler();
    let r!: ReturnType<typeof record>;
    ts.run(({ cold }) => {
      const s = fakeSession(ts, 10);
      const src = cold('ab|', { a: [sw('x', 0, 0)], b: ['p', 'q', 'r'].flatMap((k) => [sw(k, 1, 1), sw(k, 2, 1)]) });
      r = record(ts, src.pipe(inferBatches({ card, session: s }, { maxBatch: 2 })));
    });
    expect(r.got.map(([at, sensor, seq]) => [at, `${sensor}${seq}`])).toEqual([
      [10, 'x0'], [20, 'p1'], [20, 'q1'], [30, 'r1'], [30, 'p2'], [40, 'q2'], [40, 'r2'],
    ]);
  });

  it('never drops from a batch that arrives while the model is idle', () => {
    const ts = newScheduler();
    const counters = createCounters();
    let r!: ReturnType<typeof record>;
    ts.run(({ cold }) => {
      const s = fakeSession(ts, 1);
      const burst = Array.from({ length: 10 }, (_, k) => sw('p', k, 1));
      r = record(ts, cold('x---y|', { x: burst, y: burst.map((w) => ({ ...w, seq: w.seq + 10 })) }).pipe(inferBatches({ card, session: s }, { maxPendingBytes: pendingWindowBytes(burst[0]), counters })));
    });
    expect(r.got.length).toBe(20);
    expect(counters).toMatchObject({ droppedQueueFull: 0, batches: 2, scored: 20 });
  });

  it('beyond the memory bound sheds the oldest window of the longest backlog, each counted and reported', () => {
    const ts = newScheduler();
    const counters = createCounters();
    const shed: string[] = [];
    let r!: ReturnType<typeof record>;
    ts.run(({ cold }) => {
      const s = fakeSession(ts, 10);
      const src = cold('a1234|', { a: [sw('x', 0, 0)], 1: [sw('p', 1, 1), sw('p', 2, 1), sw('p', 3, 1)], 2: [sw('q', 1, 1)], 3: [sw('q', 2, 1)], 4: [sw('q', 3, 1)] });
      const maxPendingBytes = 3 * pendingWindowBytes(sw('p', 1, 1));
      r = record(ts, src.pipe(inferBatches({ card, session: s }, { maxPendingBytes, counters, onShed: (w) => shed.push(`${w.sensor}${w.seq}`) })));
    });
    // p holds 3 (the bound); q1 sheds p1; q2 sheds p2 (p still the longest); q3 sheds q1 (now q is).
    expect(shed).toEqual(['p1', 'p2', 'q1']);
    expect(counters).toMatchObject({ droppedQueueFull: 3, scored: 4, pending: 0 });
    expect(r.got.map(([, sensor, seq]) => `${sensor}${seq}`)).toEqual(['x0', 'p3', 'q2', 'q3']);
  });

  it('scores one sensor\'s 5,000-window backlog arriving in one tick completely, in order, in large batches', () => {
    const ts = newScheduler();
    const counters = createCounters();
    let r!: ReturnType<typeof record>;
    let s!: ReturnType<typeof fakeSession>;
    ts.run(({ cold }) => {
      s = fakeSession(ts, 3);
      const backlog = Array.from({ length: 5000 }, (_, k) => sw('p', k, k % 7));
      // The micro-batch stage hands them on in batches of 64, all in the same frame.
      const chunks = Object.fromEntries(Array.from({ length: 79 }, (_, i) => [String.fromCharCode(0x100 + i), backlog.slice(64 * i, 64 * (i + 1))]));
      r = record(ts, cold(`(${Object.keys(chunks).join('')}|)`, chunks).pipe(inferBatches({ card, session: s }, { counters })));
    });
    expect(r.got.map(([, , seq]) => seq)).toEqual(Array.from({ length: 5000 }, (_, k) => k));
    expect(r.got.map(([, , , score]) => score)).toEqual(Array.from({ length: 5000 }, (_, k) => (k % 7) ** 2));
    // Without a config: the largest batch as batch.maxBatch auto gives it on a CPU provider (256).
    expect(s.calls.map((c) => c.n)).toEqual([64, ...Array<number>(19).fill(256), 72]);
    expect(counters).toMatchObject({ windows: 0, scored: 5000, droppedQueueFull: 0, batches: 21, pending: 0 });
  });

  it('counts a failed batch, drops its windows and carries on; fails the stream after repeated failures', () => {
    const ts = newScheduler();
    const counters = createCounters();
    const errors: number[] = [];
    let r!: ReturnType<typeof record>;
    ts.run(({ cold }) => {
      const s = fakeSession(ts, 1, 'fake/test', (i) => i === 0);
      r = record(ts, cold('x--y|', { x: [sw('p', 1, 1), sw('p', 2, 1)], y: [sw('p', 3, 2)] }).pipe(inferBatches({ card, session: s }, { counters, onError: (_e, n) => errors.push(n) })));
    });
    expect(counters).toMatchObject({ inferenceErrors: 1, droppedInferenceError: 2, scored: 1 });
    expect(errors).toEqual([2]);
    expect(r.got.map(([, , seq, score]) => [seq, score])).toEqual([[3, 4]]);

    const ts2 = newScheduler();
    ts2.run(({ cold }) => {
      const s = fakeSession(ts2, 1, 'fake/bad', () => true);
      r = record(ts2, cold('x-y-z|', { x: [sw('p', 1, 1)], y: [sw('p', 2, 1)], z: [sw('p', 3, 1)] }).pipe(inferBatches({ card, session: s }, { maxConsecutiveErrors: 2 })));
    });
    expect(r.end).toEqual({ at: 3, error: 'inference failed 2 times in a row on fake/bad: call 2 failed' });
  });

  it('swaps the model between batches: nothing lost, nothing scored twice, waiting windows re-scaled, old session closed after its batch', () => {
    const ts = newScheduler();
    const counters = createCounters();
    const shifted = { kind: 'standard' as const, offset: [1], scale: [1] };
    const card2 = { ...card, version: '0.0.2', scaler: shifted };
    let r!: ReturnType<typeof record>;
    let a!: ReturnType<typeof fakeSession>;
    let b!: ReturnType<typeof fakeSession>;
    ts.run(({ cold }) => {
      a = fakeSession(ts, 5, 'fake/a');
      b = fakeSession(ts, 5, 'fake/b');
      const ref = new ModelRef(card, a);
      r = record(ts, cold('xy-z|', { x: [sw('p', 1, 3)], y: [sw('p', 2, 3)], z: [sw('p', 3, 3, shifted)] }).pipe(inferBatches(ref, { counters })));
      ts.schedule(() => ref.swap(card2, b), 2);
    });
    expect(r.got.map(([at, , seq, score, provider]) => [at, seq, score, provider])).toEqual([[5, 1, 9, 'fake/a'], [10, 2, 4, 'fake/b'], [10, 3, 9, 'fake/b']]);
    // y (scaled with the old scaler, value 3) was re-expressed as 2 for the new one; z was cut with the new scaler.
    expect(b.calls[0].input).toEqual([-1, 2, 0, 3]);
    expect(counters.rescaled).toBe(1);
    expect(a.closedAt()).toBe(5);
    expect(() => new ModelRef(card, a).swap({ ...card, window: 3 }, b)).toThrow(/hot reload needs the same input shape/);
  });

  it('asks a per-provider largest batch at each batch: a hot reload that lands on a device provider takes its size (batch.maxBatch auto)', () => {
    const ts = newScheduler();
    let a!: ReturnType<typeof fakeSession>;
    let b!: ReturnType<typeof fakeSession>;
    ts.run(({ cold }) => {
      a = fakeSession(ts, 3, 'ort-node/cpu');
      b = fakeSession(ts, 3, 'ort-node/cuda');
      const ref = new ModelRef(card, a);
      const backlog = Array.from({ length: 5000 }, (_, k) => sw('p', k, 1));
      const chunks = Object.fromEntries(Array.from({ length: 79 }, (_, i) => [String.fromCharCode(0x100 + i), backlog.slice(64 * i, 64 * (i + 1))]));
      // As vigil run wires it (runtime/ops/pipeline-run.ts): the config's setting, resolved against the provider in service.
      cold(`(${Object.keys(chunks).join('')}|)`, chunks).pipe(inferBatches(ref, { maxBatch: (provider) => maxBatchFor('auto', provider) })).subscribe();
      // The first batch and the next one on the CPU, then a reload that landed on cuda (a probe's model swap).
      ts.schedule(() => ref.swap(card, b), 4);
    });
    expect(a.calls.map((c) => c.n)).toEqual([64, 256]);
    expect(b.calls.map((c) => c.n)).toEqual([4096, 5000 - 64 - 256 - 4096]);
  });

  it('on teardown unsubscribes the running batch and releases the model; upstream errors wait for the drain', () => {
    const ts = newScheduler();
    let a!: ReturnType<typeof fakeSession>;
    let ref!: ModelRef;
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      a = fakeSession(ts, 5, 'fake/a');
      ref = new ModelRef(card, a);
      const src = hot('x---', { x: [sw('p', 1, 3)] });
      expectObservable(src.pipe(inferBatches(ref)), '^-!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^-!');
    });
    ref.swap(card, fakeSession(ts, 1));
    expect(a.closedAt()).toBeDefined();

    const ts2 = newScheduler();
    let r!: ReturnType<typeof record>;
    ts2.run(({ cold }) => {
      r = record(ts2, cold('x#', { x: [sw('p', 1, 3)] }, new Error('upstream broke')).pipe(inferBatches({ card, session: fakeSession(ts2, 4) })));
    });
    expect(r.got.map(([at, , seq]) => [at, seq])).toEqual([[4, 1]]);
    expect(r.end).toEqual({ at: 4, error: 'upstream broke' });
  });

  it('handles a runner that answers synchronously without recursion or loss', async () => {
    let calls = 0;
    const sync: BatchRunner = { provider: 'sync', run: (_x, n) => (calls++, of({ reconstruction: new Float32Array(n * 2), extra: {} })) };
    const batches = Array.from({ length: 5000 }, (_, b) => [sw('p', 2 * b, 1), sw('q', 2 * b + 1, 2)]);
    const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session: sync }), toArray()));
    expect(out.map((w) => w.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(calls).toBe(5000);
  });

  it('gives each window its own per-channel errors, in batches of one and of many, which later batches leave as they were', async () => {
    const zeros: BatchRunner = { provider: 'sync', run: (_x, n) => of({ reconstruction: new Float32Array(n * 2), extra: {} }) };
    // Batches of one (a batch's own array) then of three (views of one array), then one again.
    const batches = [[sw('p', 1, 1)], [sw('p', 2, 2)], [sw('p', 3, 3), sw('q', 1, 4), sw('r', 1, 5)], [sw('p', 4, 6)]];
    const out = await lastValueFrom(from(batches).pipe(inferBatches({ card, session: zeros }), toArray()));
    // Scored against a zero reconstruction, the error of the last value x is x * x.
    expect(out.map((w) => Array.from(w.perChannel))).toEqual([[1], [4], [9], [16], [25], [36]]);
    expect(out.map((w) => w.score)).toEqual([1, 4, 9, 16, 25, 36]);
  });

  it('fails clearly on a window of the wrong shape', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const bad = { ...sw('p', 1, 1), data: new Float32Array(3) };
      expectObservable(cold('x', { x: [bad] }).pipe(inferBatches({ card, session: { provider: 'x', run: () => { throw new Error('not reached'); } } }))).toBe(
        '#', undefined, new Error("inferBatches: window of sensor 'p' has 3 values; expected 2 x 1 = 2 for model tiny"));
    });
  });
});
