import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { SchedulerLike, Subscription } from 'rxjs';
import { microBatch } from '../../runtime/stream/micro-batch.ts';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Wraps a scheduler to count timers still scheduled (a leak would leave one behind). */
function tracking(s: SchedulerLike) {
  const live = new Set<Subscription>();
  const sched: SchedulerLike = {
    now: () => s.now(),
    schedule(work, delay, state) {
      const sub = s.schedule(work as never, delay, state);
      live.add(sub);
      sub.add(() => live.delete(sub));
      return sub;
    },
  };
  return { sched, live };
}

describe('microBatch', () => {
  it('flushes at size', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-b-c-d-e-|');
      expectObservable(src.pipe(microBatch({ size: 2, maxWaitMs: 100 }))).toBe('---x---y---(z|)', { x: ['a', 'b'], y: ['c', 'd'], z: ['e'] });
      expectSubscriptions(src.subscriptions).toBe('^----------!');
    });
  });

  it('flushes maxWaitMs after the first item of a partial batch', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // a at 1, b at 3: flush at 1 + 5 = 6; c at 8: flush at 13; completion at 20 with nothing held.
      const src = cold('-a-b----c-----------|');
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 5 }))).toBe('------x------y------|', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('flushes what it holds before passing on an error', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const src = cold('-a-b-#', undefined, new Error('boom'));
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 50 }))).toBe('-----(x#)', { x: ['a', 'b'] }, new Error('boom'));
    });
  });

  it('leaves no timer behind on teardown or after flushing', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable, expectSubscriptions }) => {
      const { sched, live } = tracking(ts);
      const src = hot('-a-b-c-');
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 50, scheduler: sched })), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
      ts.flush();
      expect(live.size).toBe(0);
    });
    const ts2 = newScheduler();
    ts2.run(({ cold, expectObservable }) => {
      const { sched, live } = tracking(ts2);
      expectObservable(cold('-ab|').pipe(microBatch({ size: 2, maxWaitMs: 50, scheduler: sched }))).toBe('--x|', { x: ['a', 'b'] });
      ts2.flush();
      expect(live.size).toBe(0);
    });
  });

  it('adaptive: sends a window at once when the next is not expected within the wait', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // Items 10 ms apart, budget 5: the first waits (no rate known yet), each later one goes as it comes.
      const src = cold('a 9ms b 9ms c 9ms |');
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 5, adaptive: true }))).toBe('5ms x 4ms y 9ms z 9ms |', { x: ['a'], y: ['b'], z: ['c'] });
    });
  });

  it('adaptive: waits the budget out while items keep coming, and after a pause', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // a, b, c 1 ms apart: the fourth is expected before the budget ends, so the batch waits for it (flushed at 5);
      // d after a pause counts the pause as two budgets at most (8 ms here), so the mean gap (1.7 ms) still says "wait".
      const src = cold('abc 7ms d 9ms |');
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 5, adaptive: true }))).toBe('5ms x 9ms y 4ms |', { x: ['a', 'b', 'c'], y: ['d'] });
    });
  });

  it('adaptive: a pair in one millisecond among slow data does not hold the lone windows after it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      // Windows 20 ms apart, budget 5, then two at once (sensors on one tick), then 20 ms apart again: the pair goes
      // together at once (an early batch goes at the end of the turn), the lone windows after it as they come. Each
      // gap counted at most one budget, the pair's gap of 0 pulled the mean under the budget and the next lone
      // windows waited it out (a review: 87 of them at 1 Hz).
      const src = cold('a 19ms b 19ms (cd) 16ms e 19ms f 19ms |');
      expectObservable(src.pipe(microBatch({ size: 10, maxWaitMs: 5, adaptive: true }))).toBe('5ms x 14ms y 19ms z 19ms v 19ms w 19ms |', { x: ['a'], y: ['b'], z: ['c', 'd'], v: ['e'], w: ['f'] });
    });
  });

  it('rejects bad options with what was expected', () => {
    expect(() => microBatch({ size: 0, maxWaitMs: 1 })).toThrow(/size must be an integer >= 1/);
    expect(() => microBatch({ size: 2, maxWaitMs: -1 })).toThrow(/maxWaitMs must be a finite number >= 0/);
  });
});
