/**
 * What an open alert keeps of its peak window past the window's batch: the per-channel errors its close event is
 * explained by, copied out of the batch's buffers, and not the window's W x C values, which nothing reads (a restored
 * peak has none either) and whose copy lived as long as the alert, into V8's old generation.
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy } from '../../runtime/alerts/tracker.ts';
import { alertEventOf } from '../../runtime/alerts/raise-alerts.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

const policy = checkPolicy({ openK: 1, openN: 1, closeM: 1, cooldownMs: 0 });
const card = { name: 'm', version: '1', channels: ['a', 'b', 'c'] } as unknown as Parameters<typeof alertEventOf>[1];
const verdict = (t: number, score: number, anomaly: boolean, perChannel: number[]): Verdict => ({
  sensor: 's', seq: t, tsFirst: t - 1000, tsLast: t, receivedAt: t, data: new Float32Array(6).fill(t), score, perChannel: Float32Array.from(perChannel),
  provider: 'ort-node/cpu', threshold: 10, anomaly,
});

describe('the kept peak', () => {
  it('holds the peak window\'s per-channel errors, copied, and none of its values', () => {
    const t = new AlertTracker(policy);
    const open = verdict(1000, 12, true, [1, 9, 2]);
    expect(t.step(open).kind).toBe('open');
    const higher = verdict(2000, 15, true, [0, 1, 14]);
    expect(t.step(higher).kind).toBe('none');
    // The batch's buffers are reused for the next batch: what the verdicts pointed at changes under them.
    higher.perChannel.fill(0);
    higher.data.fill(0);
    const close = t.step(verdict(3000, 1, false, [1, 1, 1]));
    expect(close.kind).toBe('close');
    if (close.kind !== 'close') return;
    expect(close.peak).toMatchObject({ score: 15, threshold: 10, tsLast: 2000 });
    expect([...close.peak.perChannel]).toEqual([0, 1, 14]);
    expect(close.peak.data.length).toBe(0);
    expect(close.peak.rows).toBeUndefined();
    // The close still names the channels of its worst window.
    expect(alertEventOf(close, card)?.contributors.map((c) => c.channel)).toEqual(['c', 'b', 'a']);
  });
});
