/**
 * Alert trackers save and restore their state (issue 17.5): an alert open when the runtime stopped resumes after
 * a restart, with no second `open`, and its `close` measures from the true opening with the true peak.
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy, type AlertTrackerState } from '../../runtime/alerts/tracker.ts';
import { AlertBank } from '../../runtime/alerts/alert-bank.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

const policy = checkPolicy({ openK: 2, openN: 3, closeM: 2, cooldownMs: 5000 });
// Bar 10: the scores below stay under its critical multiple, so k of n alone decides when an alert opens.
const verdict = (t: number, score: number, anomaly: boolean, perChannel = [1, 2, 1]): Verdict => ({
  sensor: 's', seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(6), score, perChannel: Float32Array.from(perChannel),
  provider: 'ort-node/cpu', threshold: 10, anomaly,
});
const roundTrip = (s: AlertTrackerState): AlertTrackerState => JSON.parse(JSON.stringify(s));

describe('alert state save and restore', () => {
  it('resumes an open alert: no second open, the close carries the true duration and peak', () => {
    const t = new AlertTracker(policy);
    expect(t.step(verdict(1000, 2, true)).kind).toBe('none');
    expect(t.step(verdict(2000, 9, true, [0, 0, 7])).kind).toBe('open');
    expect(t.step(verdict(3000, 3, true)).kind).toBe('none');
    expect(t.step(verdict(4000, 0.5, false)).kind).toBe('none');

    const restored = AlertTracker.restore(policy, roundTrip(t.toJSON()), 's');
    expect(restored.isOpen).toBe(true);
    // A replayed verdict from before the restart is still a duplicate.
    expect(restored.step(verdict(4000, 5, true)).kind).toBe('duplicate');
    // One more quiet window closes it (closeM 2 counts the quiet one seen before the restart).
    const close = restored.step(verdict(200_000, 0.5, false));
    expect(close).toMatchObject({ kind: 'close', openedAt: 2000, durationMs: 198_000 });
    expect(close.kind === 'close' && close.peak.score).toBe(9);
    expect(close.kind === 'close' && [...close.peak.perChannel]).toEqual([0, 0, 7]);
    // The cooldown after the close holds as it would without the restart.
    const again = AlertTracker.restore(policy, roundTrip(restored.toJSON()));
    expect([again.step(verdict(201_000, 5, true)).kind, again.step(verdict(202_000, 5, true)).kind]).toEqual(['none', 'suppressed']);
  });

  it('an operator\'s mark seen while the alert is open is said by its close, across a restart, and not by the next alert', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 20, true));
    t.step(verdict(2000, 20, true));
    expect(t.step({ ...verdict(3000, 12, true), marked: { command: 'normal', by: '10.0.0.7 curl/8.1', done: true } }).kind).toBe('none');
    const restored = AlertTracker.restore(policy, roundTrip(t.toJSON()), 's');
    restored.step(verdict(4000, 1, false));
    expect(restored.step(verdict(5000, 1, false))).toMatchObject({ kind: 'close', marked: { command: 'normal', by: '10.0.0.7 curl/8.1' } });
    // Saved by another version with a command this one does not know: dropped, the close is plain.
    const odd = roundTrip(t.toJSON());
    odd.open!.marked = { command: 'forget' } as never;
    const plain = AlertTracker.restore(policy, odd, 's');
    plain.step(verdict(4000, 1, false));
    expect(plain.step(verdict(5000, 1, false))).not.toHaveProperty('marked');
    // The next alert starts unmarked.
    restored.step(verdict(10_000, 20, true));
    restored.step(verdict(11_000, 20, true));
    restored.step(verdict(12_000, 1, false));
    expect(restored.step(verdict(13_000, 1, false))).not.toHaveProperty('marked');
  });

  it('a close says marked only when the alert was anomalous up to the mark and quiet from it on', () => {
    const mark = { command: 'normal' as const, by: 'op', done: true };
    const said = { command: 'normal', by: 'op' };
    const opened = () => {
      const t = new AlertTracker(policy);
      t.step(verdict(1000, 20, true));
      return t;
    };
    // Anomalous again after the mark: the close is the fault's end, not the mark's doing.
    const again = opened();
    again.step({ ...verdict(2000, 12, true), marked: mark });
    again.step(verdict(3000, 12, true));
    again.step(verdict(4000, 1, false));
    expect(again.step(verdict(5000, 1, false))).not.toHaveProperty('marked');
    // A quiet run begun before the mark would have closed it anyway.
    const subsiding = opened();
    subsiding.step(verdict(2000, 1, false));
    expect(subsiding.step({ ...verdict(3000, 1, false), marked: mark })).not.toHaveProperty('marked');
    // A sensor gone silent closes unresolved, whatever was marked before.
    const silent = opened();
    silent.step({ ...verdict(2000, 12, true), marked: mark });
    expect(silent.abandon()).not.toHaveProperty('marked');
    // Done in the window that opens the alert (scored against the old level): its close is the mark's doing.
    const first = new AlertTracker(policy);
    expect(first.step({ ...verdict(1000, 20, true), marked: mark }).kind).toBe('open');
    first.step(verdict(2000, 1, false));
    const closed = first.step(verdict(3000, 1, false));
    expect(closed).toMatchObject({ kind: 'close', marked: said });
    expect(closed.kind === 'close' && closed.marked).toEqual(said);
  });

  it('a mark begun while the alert is anomalous is kept through its anchoring, and forgotten at an anomaly once it is done', () => {
    const begun = { command: 'normal' as const, by: 'op', done: false };
    const done = { ...begun, done: true };
    const said = { command: 'normal', by: 'op' };
    const opened = () => {
      const t = new AlertTracker(policy);
      t.step(verdict(1000, 20, true));
      return t;
    };
    // The anchoring's first windows still score over the bar (the old level), its first half quiets the rest, and
    // the alert closes before the anchor is done (input offsets): the close is the mark's doing.
    const early = opened();
    early.step({ ...verdict(2000, 12, true), marked: begun });
    early.step(verdict(3000, 12, true));
    early.step(verdict(4000, 1, false));
    const closed = early.step(verdict(5000, 1, false));
    expect(closed).toMatchObject({ kind: 'close', marked: said });
    expect(closed.kind === 'close' && closed.marked).toEqual(said);
    // Done while the alert is quiet, then closed: still the mark's doing.
    const late = opened();
    late.step({ ...verdict(2000, 12, true), marked: begun });
    late.step(verdict(3000, 12, true));
    late.step({ ...verdict(4000, 1, false), marked: done });
    expect(late.step(verdict(5000, 1, false))).toMatchObject({ kind: 'close', marked: said });
    // Anomalous after it is done: the close is the fault's end.
    const after = opened();
    after.step({ ...verdict(2000, 12, true), marked: begun });
    after.step({ ...verdict(3000, 1, false), marked: done });
    after.step(verdict(4000, 12, true));
    after.step(verdict(5000, 1, false));
    expect(after.step(verdict(6000, 1, false))).not.toHaveProperty('marked');
    // Begun after a quiet run had begun: not the mark's doing, whatever comes.
    const subsiding = opened();
    subsiding.step(verdict(2000, 1, false));
    subsiding.step({ ...verdict(3000, 12, true), marked: begun });
    subsiding.step(verdict(4000, 1, false));
    const plain = subsiding.step(verdict(5000, 1, false));
    expect(plain).toMatchObject({ kind: 'close' });
    expect(plain).not.toHaveProperty('marked');
    // ...unless it replaces a mark under way, whose doing the quiet run is (sent back to training mid-way).
    const replaced = opened();
    replaced.step({ ...verdict(2000, 12, true), marked: begun });
    replaced.step(verdict(3000, 1, false));
    expect(replaced.step({ ...verdict(4000, 1, false), marked: { command: 'trained', done: true } })).toMatchObject({ kind: 'close', marked: { command: 'trained' } });
    // A restart drops an anchor under way (not saved): an anomaly after it clears the mark.
    const restarted = opened();
    restarted.step({ ...verdict(2000, 12, true), marked: begun });
    const back = AlertTracker.restore(policy, roundTrip(restarted.toJSON()), 's');
    back.step(verdict(3000, 12, true));
    back.step(verdict(4000, 1, false));
    expect(back.step(verdict(5000, 1, false))).not.toHaveProperty('marked');
  });

  it('keeps the k-of-n evidence across a restart, also under a changed openN', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 2, true));
    expect(AlertTracker.restore(policy, roundTrip(t.toJSON())).step(verdict(2000, 2, true)).kind).toBe('open');
    const wider = checkPolicy({ openK: 2, openN: 5, closeM: 2, cooldownMs: 0 });
    expect(AlertTracker.restore(wider, roundTrip(t.toJSON())).step(verdict(2000, 2, true)).kind).toBe('open');
  });

  it('a bank restores saved trackers on first sight, keeps unseen ones in its snapshot, and reports bad ones', () => {
    const t = new AlertTracker(policy);
    t.step(verdict(1000, 2, true));
    t.step(verdict(2000, 2, true));
    const saved = { a: roundTrip(t.toJSON()), b: roundTrip(t.toJSON()), bad: { recent: [1], lastTs: 'x', lastClosedAt: null } as unknown as AlertTrackerState };
    const bank = new AlertBank(policy, { saved });
    expect(bank.openSensors().sort()).toEqual(['a', 'b']);
    expect(bank.get('a').isOpen).toBe(true);
    expect(bank.get('bad').isOpen).toBe(false);
    expect(bank.restoreFailures).toEqual([{ sensor: 'bad', reason: expect.stringMatching(/lastTs must be a finite number/) }]);
    const snap = bank.snapshot();
    expect(Object.keys(snap).sort()).toEqual(['a', 'b', 'bad']);
    expect(snap.b).toEqual(saved.b);
    expect(snap.a.open?.openedAt).toBe(2000);
  });
});
