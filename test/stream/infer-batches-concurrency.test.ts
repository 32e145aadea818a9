/**
 * inferBatches with a session that takes two batches at once (`concurrency` 2, as a worker session): the next batch
 * starts while one runs, batches are emitted in the order they started whatever order their calls end in, each on
 * its own batch input, and failures, backlogs and teardown keep their accounting.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import type { InferenceResult } from '../../runtime/inference/backend.ts';
import type { BatchRunner } from '../../runtime/inference/model-ref.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { SensorWindow } from '../../runtime/stream/types.ts';
import { sw, tinyCard as card } from './helpers.ts';

describe('a session that takes two batches at once (concurrency 2, as a worker session)', () => {
  /** A session double whose calls end when the test says, in any order; it records each call's input. */
  function manual() {
    const calls: { n: number; input: number[]; end: () => void; fail: (e: Error) => void }[] = [];
    let peak = 0;
    let open = 0;
    const session: BatchRunner = {
      provider: 'manual/2',
      concurrency: 2,
      run(input, n) {
        peak = Math.max(peak, ++open);
        const copy = Array.from(input.subarray(0, n * 2));
        return new Promise<InferenceResult>((resolve, reject) => {
          calls.push({
            n,
            input: copy,
            end: () => (open--, resolve({ reconstruction: new Float32Array(n * 2), extra: {} })),
            fail: (e) => (open--, reject(e)),
          });
        });
      },
    };
    return { session, calls, peak: () => peak };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('starts the next batch while one runs, emits in start order when calls end out of order, each scored on its own input', async () => {
    const m = manual();
    const got: [string, number, number][] = [];
    const input = new Subject<SensorWindow[]>();
    input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 2 })).subscribe((w) => got.push([w.sensor, w.seq, w.score]));
    input.next([sw('p', 1, 2), sw('q', 1, 3)]);
    input.next([sw('p', 2, 4), sw('q', 2, 5)]);
    input.next([sw('p', 3, 6)]);
    expect(m.calls.map((c) => c.n)).toEqual([2, 2]); // two in flight, the third batch waits
    expect(m.calls.map((c) => c.input)).toEqual([[0, 2, 0, 3], [0, 4, 0, 5]]);
    m.calls[1].end(); // the second ends first: nothing may be emitted before the first batch's windows
    await tick();
    expect(got).toEqual([]);
    expect(m.calls.length).toBe(2);
    m.calls[0].end();
    await tick();
    expect(got).toEqual([['p', 1, 4], ['q', 1, 9], ['p', 2, 16], ['q', 2, 25]]);
    expect(m.calls.map((c) => c.input)).toEqual([[0, 2, 0, 3], [0, 4, 0, 5], [0, 6]]);
    m.calls[2].end();
    await tick();
    expect(got.at(-1)).toEqual(['p', 3, 36]);
    expect(m.peak()).toBe(2);
  });

  it('a teardown with windows waiting (a stop past its drain limit, a pipeline restarted after a failure) counts them abandoned', async () => {
    const m = manual();
    const counters = createCounters();
    const input = new Subject<SensorWindow[]>();
    const sub = input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 4, counters })).subscribe();
    input.next(Array.from({ length: 20 }, (_, i) => sw('p', i, 1)));
    m.calls[0].end(); // the first batch is scored; the next two calls run
    await tick();
    // 4 scored; the other 16 (in the two running calls, or queued) torn down unscored: all counted.
    sub.unsubscribe();
    expect(counters.scored).toBe(4);
    expect(counters.droppedAbandoned).toBe(16);
  });

  it('failures in a row that end the stream count the batches behind them once (inference errors), not again as abandoned', async () => {
    const m = manual();
    const counters = createCounters();
    const input = new Subject<SensorWindow[]>();
    input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 2, counters, maxConsecutiveErrors: 1, onError: () => {} })).subscribe({ error: () => {} });
    input.next(Array.from({ length: 6 }, (_, i) => sw('p', i, 1)));
    m.calls[0].fail(new Error('device lost'));
    await tick();
    expect(counters.droppedInferenceError + counters.droppedAbandoned + counters.scored).toBe(6);
  });

  it('scores a backlog arriving in one tick completely, never more than two batches at once; a failed batch is counted in its place', async () => {
    const m = manual();
    const counters = createCounters();
    const got: number[] = [];
    const input = new Subject<SensorWindow[]>();
    input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 16, counters, onError: () => {} })).subscribe((w) => got.push(w.seq));
    input.next(Array.from({ length: 100 }, (_, i) => sw('p', i, i % 7)));
    for (let k = 0; k < 7; k++) {
      expect(m.calls.length).toBe(Math.min(k + 2, 7));
      if (k === 2) m.calls[k].fail(new Error('device lost'));
      else m.calls[k].end();
      await tick();
    }
    expect(m.calls.map((c) => c.n)).toEqual([16, 16, 16, 16, 16, 16, 4]);
    expect(m.peak()).toBe(2);
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i < 32 || i >= 48));
    expect(counters).toMatchObject({ scored: 84, inferenceErrors: 1, droppedInferenceError: 16 });
  });

  it('when failures in a row end the stream, the batch behind the failed one is counted as dropped with it', async () => {
    const m = manual();
    const counters = createCounters();
    let error = '';
    const input = new Subject<SensorWindow[]>();
    input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 2, maxConsecutiveErrors: 1, counters, onError: () => {} })).subscribe({ error: (e) => (error = (e as Error).message) });
    input.next([sw('p', 1, 1), sw('q', 1, 1), sw('p', 2, 1), sw('q', 2, 1)]);
    m.calls[1].end(); // the second batch ended, waiting for the first
    m.calls[0].fail(new Error('device lost'));
    await tick();
    expect(error).toBe('inference failed 1 times in a row on manual/2: device lost');
    expect(counters).toMatchObject({ scored: 0, inferenceErrors: 1, droppedInferenceError: 4 });
  });

  it('unsubscribing with two batches in flight lets both end without emitting', async () => {
    const m = manual();
    const got: number[] = [];
    const input = new Subject<SensorWindow[]>();
    const sub = input.pipe(inferBatches({ card, session: m.session }, { maxBatch: 1 })).subscribe((w) => got.push(w.seq));
    input.next([sw('p', 1, 1), sw('p', 2, 1), sw('p', 3, 1)]);
    expect(m.calls.length).toBe(2);
    sub.unsubscribe();
    m.calls[0].end();
    m.calls[1].end();
    await tick();
    expect(got).toEqual([]);
    expect(m.calls.length).toBe(2);
  });
});
