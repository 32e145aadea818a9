/**
 * A rate-limited warning that names the worst example since its last line (runtime/util/rate-limited-warning.ts
 * `worstExampleWarning`, behind the data-gap, pace and clock lines of runtime/ops/drops.ts).
 */
import { describe, expect, it } from 'vitest';
import { worstExampleWarning, type WarningClock } from '../../runtime/util/rate-limited-warning.ts';

describe('worst-example warning', () => {
  it('logs the first event at once, then one line per interval naming the worst example reported since the last', () => {
    let now = 0;
    let pending: (() => void) | undefined;
    const clock: WarningClock = { now: () => now, setTimeout: (f) => (pending = f), clearTimeout: () => (pending = undefined) };
    const lines: Array<[object, string]> = [];
    const w = worstExampleWarning<number>({ warn: (o, m) => void lines.push([o, m]) }, (count, byKey, keys, worst) => [{ count, keys, worst }, `${count} event(s), worst ${worst}`], (a, b) => a > b, 1000, clock);
    w.add('a', 3);
    expect(lines.map(([, m]) => m)).toEqual(['1 event(s), worst 3']);
    now = 100;
    w.add('a', 2);
    w.add('b', 7, 2);
    w.add('a', 5);
    now = 1000;
    pending!();
    expect(lines[1]).toEqual([{ count: 4, keys: 2, worst: 7 }, '4 event(s), worst 7']);
    // The next line knows only what came after it.
    now = 1500;
    w.add('c', 1);
    w.flush();
    expect(lines[2][1]).toBe('1 event(s), worst 1');
  });
});
