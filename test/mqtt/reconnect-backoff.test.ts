import { describe, expect, it } from 'vitest';
import { ReconnectBackoff, STABLE_MS } from '../../runtime/mqtt/reconnect-backoff.ts';

/** A schedule on a fake clock with mid jitter (no spread), and its delays over `n` failed attempts. */
function schedule(cfg = { minMs: 100, maxMs: 2000, quickMs: 1000 }) {
  let t = 0;
  const b = new ReconnectBackoff(cfg, () => 0.5, () => t);
  const fail = (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      b.dropped();
      const d = b.nextDelay();
      out.push(d);
      t += d;
    }
    return out;
  };
  return { b, fail, advance: (ms: number) => (t += ms) };
}

describe('ReconnectBackoff', () => {
  it('tries at once, then every minMs for quickMs, then doubles up to maxMs', () => {
    const { b, fail } = schedule();
    b.connected();
    // First attempt: half of min(50, minMs) at jitter 0.5; every 100 ms until 1 s into the outage; then 100, 200, ... 2000.
    expect(fail(17)).toEqual([25, ...Array(10).fill(100), 100, 200, 400, 800, 1600, 2000]);
  });

  it('a restored connection starts afresh; one shorter than STABLE_MS goes on backing off', () => {
    const { b, fail, advance } = schedule({ minMs: 100, maxMs: 2000, quickMs: 0 });
    b.connected();
    expect(fail(4)).toEqual([25, 100, 200, 400]);
    b.connected();
    advance(STABLE_MS - 1);
    // Kicked again within 10 s (two processes with one client id): no immediate attempt, the backoff goes on.
    expect(fail(2)).toEqual([800, 1600]);
    b.connected();
    advance(STABLE_MS);
    expect(fail(3)).toEqual([25, 100, 200]);
  });

  it('jitters every delay within +-20 % (the first within 1..50 ms)', () => {
    for (const r of [0, 0.999]) {
      let t = 0;
      const b = new ReconnectBackoff({ minMs: 250, maxMs: 30_000, quickMs: 0 }, () => r, () => t);
      b.dropped();
      const first = b.nextDelay();
      b.dropped();
      t += 1;
      const second = b.nextDelay();
      expect(first).toBe(r === 0 ? 1 : 50);
      expect(second).toBe(r === 0 ? 200 : 300);
    }
  });
});
