/** AlertBank's bound: a tracker evicted for room with its alert open has it closed, `unresolved: 'evicted'`, and said. */
import { describe, expect, it } from 'vitest';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import { checkPolicy, type AlertStep } from '../../runtime/alerts/tracker.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

const policy = checkPolicy({ openK: 1, openN: 1, closeM: 2, cooldownMs: 0 });
const verdict = (sensor: string, t: number, score: number): Verdict => ({
  sensor, seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(1), score, perChannel: Float32Array.from([score]),
  provider: 'ort-node/cpu', threshold: 10, anomaly: score > 10,
});

describe('AlertBank eviction', () => {
  it('closes the evicted sensor\'s open alert, unresolved "evicted", and tells onEvict; a closed one goes quietly', () => {
    const told: [string, AlertStep, string][] = [];
    const bank = new AlertBank(policy, { maxSensors: 2, onEvict: (s, close, admitted) => told.push([s, close, admitted]) });
    expect(bank.get('A').step(verdict('A', 1000, 50)).kind).toBe('open');
    bank.get('A').step(verdict('A', 2000, 20));
    bank.get('B').step(verdict('B', 1000, 1));
    // C evicts A (least recently used): its alert closes, explained by its peak, dated at its last verdict.
    bank.get('C');
    expect(told).toHaveLength(1);
    const [sensor, close, admitted] = told[0];
    expect([sensor, admitted]).toEqual(['A', 'C']);
    expect(close).toMatchObject({ kind: 'close', unresolved: 'evicted', openedAt: 1000, durationMs: 1000, peak: { score: 50 } });
    expect(bank.openSensors()).toEqual([]);
    // B had no alert open: evicted without a close.
    bank.get('D');
    expect(told).toHaveLength(1);
    // A back: a fresh tracker, nothing open.
    expect(bank.get('A').isOpen).toBe(false);
  });
});

describe('AlertBank eviction of a sensor under maintenance', () => {
  it('keeps its maintenance for its return (a review: the sensor came back unmuted)', () => {
    const bank = new AlertBank(policy, { maxSensors: 1 });
    bank.get('A');
    const until = Date.now() + 3_600_000;
    expect(bank.maintain('A', { from: Date.now(), until, by: 'test' })).toBe(true);
    bank.get('B');
    expect(bank.maintenanceOf('A')?.until).toBe(until);
    expect(bank.inMaintenance(Date.now())).toEqual(['A']);
    expect(bank.stateOf('A')?.maintenance?.until).toBe(until);
    expect(bank.get('A').maintenanceSet?.until).toBe(until);
  });
});

describe('AlertBank holdOpen', () => {
  it('holds restored open alerts at once, in saved order, so the bound evicts them with a close instead of leaving them out of its snapshot', () => {
    const first = new AlertBank(policy, { maxSensors: 3 });
    first.get('A').step(verdict('A', 1000, 50));
    first.get('B').step(verdict('B', 1000, 1));
    first.get('C').step(verdict('C', 1000, 50));
    const told: string[] = [];
    const bank = new AlertBank(policy, { maxSensors: 3, saved: first.snapshot(), onEvict: (s, close, admitted) => told.push(`${s} ${close.kind} ${close.kind === 'close' ? close.unresolved : ''} for ${admitted}`) });
    bank.holdOpen();
    // B (nothing open) waits outside the bound; A and C are held, A the least recent.
    for (const s of ['D', 'E']) bank.get(s);
    expect(told).toEqual(['A close evicted for E']);
    expect(Object.keys(bank.snapshot())).toEqual(['C', 'D', 'E']);
    expect(bank.openSensors()).toEqual(['C']);
  });
});
