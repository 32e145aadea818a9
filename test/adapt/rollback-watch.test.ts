/**
 * The watch after a swap (runtime/adapt/rollback-watch.ts): out of its band it asks the previous model about a
 * sample of the flagged windows; the share it flags too is excused (a fault after the swap keeps the adapted model),
 * the rest still rolls it back; with no previous model, or one that cannot be run, the flag rate alone decides.
 */
import { describe, expect, it } from 'vitest';
import { RollbackSchema } from '../../runtime/adapt/config.ts';
import { RollbackWatch, type OpenPrevious, type WatchDecision } from '../../runtime/adapt/rollback-watch.ts';
import type { Suspect } from '../../runtime/adapt/second-opinion.ts';
import type { Detection } from '../../runtime/stream/types.ts';

const scaler = { kind: 'standard' as const, offset: [0], scale: [1] };
const cfg = RollbackSchema.parse({ windows: 100, factor: 3, floor: 0.01 });

/** Window t: one value, t; flagged as given. */
function det(t: number, anomaly: boolean): Detection {
  const verdict = { sensor: 's', tsFirst: t, tsLast: t, data: new Float32Array([t]), seq: t, receivedAt: 0, score: anomaly ? 2 : 0.1, perChannel: new Float32Array(1), provider: 'test', threshold: 1, anomaly };
  return { verdict, alertOpen: anomaly };
}

/** A previous model that flags the windows `flags(t)` says; counts what it was asked and whether it was closed. */
function previous(flags: (t: number) => boolean) {
  const seen = { asked: 0, opened: 0, closed: 0 };
  const open: OpenPrevious = async () => {
    seen.opened++;
    return { version: '1', judge: async (s: readonly Suspect[]) => (seen.asked += s.length, s.map((x) => flags(x.window.data[0]))), close: async () => void seen.closed++ };
  };
  return { open, seen };
}

/** Feed windows 0..n-1 (flagged where `flagged(t)`), letting each question finish; the decision. */
async function watchOver(open: OpenPrevious | string, flagged: (t: number) => boolean, n = 100): Promise<WatchDecision | undefined> {
  let decision: WatchDecision | undefined;
  const w = new RollbackWatch(0.01, cfg, open, (d) => (decision = d));
  for (let t = 0; t < n && !decision; t++) {
    w.push(det(t, flagged(t)), scaler, 1);
    await w.idle();
  }
  await w.close();
  return decision;
}

describe('rollback watch', () => {
  it('keeps the adapted model when the previous one flags the same windows (a fault after the swap)', async () => {
    const p = previous(() => true);
    const d = await watchOver(p.open, (t) => t >= 10 && t < 50);
    expect(d?.kind).toBe('kept');
    expect(d?.excused).toBe(40);
    expect(d?.opinion).toMatch(/version 1 flags \d+ of \d+ sampled flagged windows too: 40 flagged windows excused/);
    expect(p.seen).toMatchObject({ opened: 1, closed: 1 });
  });

  it('rolls back when only the adapted model flags them (a regression)', async () => {
    const p = previous(() => false);
    const d = await watchOver(p.open, (t) => t % 5 === 0);
    expect(d?.kind).toBe('rollback');
    expect(d?.excused).toBe(0);
    expect(p.seen.asked).toBe(4); // asked once, about the 4 windows that left the band (3 % of 100 allowed)
    expect(p.seen.closed).toBe(1);
  });

  it('a fault and a regression at once: the fault is excused, the regression still rolls back', async () => {
    const fault = (t: number) => t >= 10 && t < 30;
    const p = previous(fault);
    const d = await watchOver(p.open, (t) => fault(t) || t % 10 === 5);
    expect(d?.kind).toBe('rollback');
    expect(d?.excused).toBeGreaterThanOrEqual(15);
  });

  it('asks nothing while the rate stays in its band', async () => {
    const p = previous(() => true);
    const d = await watchOver(p.open, (t) => t === 40 || t === 70);
    expect(d?.kind).toBe('kept');
    expect(p.seen.opened).toBe(0);
    expect(d?.opinion).toMatch(/not asked/);
  });

  it('without a previous model, or one that cannot run, the flag rate alone decides', async () => {
    const none = await watchOver('no kept previous version to ask', () => true);
    expect(none).toMatchObject({ kind: 'rollback', opinion: 'no kept previous version to ask' });
    const broken = await watchOver(async () => { throw new Error('corrupt onnx'); }, () => true);
    expect(broken?.kind).toBe('rollback');
    expect(broken?.opinion).toMatch(/could not be asked \(corrupt onnx\)/);
  });
});
