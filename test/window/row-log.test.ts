import { describe, expect, it } from 'vitest';
import { RowLog } from '../../runtime/window/row-log.ts';
import { mulberry32 } from '@vigil/fixtures/tiny-model.ts';

const scaler = { kind: 'standard' as const, offset: [0, 0], scale: [1, 1] };

/** Row n of channel c: distinct, exact in float32. */
const value = (n: number, c: number) => n * 4 + c;

function windowOf(last: number, W: number, C: number): number[] {
  return Array.from({ length: W * C }, (_, i) => value(last + 1 - W + Math.floor(i / C), i % C));
}

describe('RowLog', () => {
  it('materialises every waiting window exactly, in random interleavings of pushes, holds and in-order releases', () => {
    const rand = mulberry32(11);
    for (const [W, C] of [[1, 1], [3, 2], [8, 3], [64, 2]]) {
      const log = new RowLog(W, C, scaler);
      const waiting: number[] = [];
      // The last window released while others still wait (the log then keeps the rows from the one after it on).
      let released = Number.POSITIVE_INFINITY;
      let maxHeld = 0;
      for (let step = 0; step < 20_000; step++) {
        const n = log.next;
        if (rand() < 0.55 || waiting.length === 0) {
          log.push(Array.from({ length: C }, (_, c) => value(n, c)));
          // Right after a push it holds the live window and, while windows wait, the rows from the oldest on.
          const oldest = waiting.length > 0 ? Math.min(waiting[0], released + 1) : n;
          expect(log.held).toBeLessThanOrEqual(n + 1 - (Math.min(oldest, n) + 1 - W));
          if (n >= W - 1 && rand() < 0.7) {
            log.hold(n);
            waiting.push(n);
          }
        } else {
          const last = waiting.shift()!;
          const out = new Float32Array(W * C + 3);
          log.copyWindow(last, out, 3);
          expect(Array.from(out.subarray(3))).toEqual(windowOf(last, W, C));
          log.release(last);
          released = waiting.length > 0 ? last : Number.POSITIVE_INFINITY;
        }
        maxHeld = Math.max(maxHeld, log.held);
      }
      expect(maxHeld).toBeGreaterThan(W);
    }
  });

  it('costs readings, not windows x W: 20,000 consecutive windows waiting hold 20,000 + W - 1 rows, and it shrinks once they are released', () => {
    const W = 64;
    const log = new RowLog(W, 8, scaler);
    for (let n = 0; n < 20_000 + W - 1; n++) {
      log.push(new Float32Array(8).fill(n));
      if (n >= W - 1) log.hold(n);
    }
    expect(log.held).toBe(20_000 + W - 1);
    const out = new Float32Array(W * 8);
    for (let n = W - 1; n < 20_000 + W - 1; n++) {
      log.copyWindow(n, out, 0);
      expect(out[0]).toBe(n + 1 - W);
      expect(out[out.length - 1]).toBe(n);
      log.release(n);
    }
    expect(log.held).toBeLessThanOrEqual(W);
    log.push(new Float32Array(8).fill(-1));
    log.copyWindow(log.next - 1, out, 0);
    expect(out[out.length - 1]).toBe(-1);
    expect(out[0]).toBe(20_000);
  });

  it('refuses a window whose rows it no longer holds', () => {
    const log = new RowLog(2, 1, scaler);
    for (let n = 0; n < 5; n++) log.push([n]);
    expect(() => log.copyWindow(2, new Float32Array(2), 0)).toThrow(/rows 1..2 are not held \(held 3..4\)/);
  });

  it('forks its live window, numbered alike, and rescales in place', () => {
    const log = new RowLog(3, 2, scaler);
    for (let n = 0; n < 5; n++) log.push([value(n, 0), value(n, 1)]);
    log.hold(4);
    const f = log.fork();
    expect(f.next).toBe(5);
    f.rescale([2, 1], [1, 0]);
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    log.copyWindow(4, a, 0);
    f.copyWindow(4, b, 0);
    expect(Array.from(a)).toEqual(windowOf(4, 3, 2));
    expect(Array.from(b)).toEqual(windowOf(4, 3, 2).map((x, i) => (i % 2 === 0 ? 2 * x + 1 : x)));
  });
});
