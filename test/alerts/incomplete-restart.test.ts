/**
 * Review repro: an alert whose worst window was incomplete says `incomplete` on its close, but not after a restart:
 * the saved peak (saved-peak.ts savePeak/restorePeak) does not carry it.
 */
import { describe, expect, it } from 'vitest';
import { AlertTracker, checkPolicy } from '../../runtime/alerts/tracker.ts';
import { alertEventOf } from '../../runtime/alerts/raise-alerts.ts';
import type { Verdict } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';

const policy = checkPolicy({ openK: 2, openN: 3, closeM: 2, cooldownMs: 5000 });
const verdict = (t: number, score: number, anomaly: boolean, incomplete = false): Verdict => ({
  sensor: 's', tsFirst: t - 1000, tsLast: t, seq: 0, data: new Float32Array(0), receivedAt: t, provider: 'x',
  score, threshold: 10, anomaly, perChannel: Float32Array.from([1, 2]), ...(incomplete ? { incomplete } : {}),
});

describe('review: incomplete across a restart', () => {
  it('the close of an alert whose peak window was incomplete says so after a restart as without one', () => {
    const card = tinyModel({ window: 2, channels: ['a', 'b'] }).card;
    const run = (restart: boolean) => {
      let t = new AlertTracker(policy);
      t.step(verdict(1000, 20, true, true));
      t.step(verdict(2000, 30, true, true));
      if (restart) t = AlertTracker.restore(policy, JSON.parse(JSON.stringify(t.toJSON())), 's');
      t.step(verdict(3000, 1, false));
      return alertEventOf(t.step(verdict(4000, 1, false)), card)!;
    };
    expect(run(false)).toMatchObject({ type: 'close', incomplete: true });
    expect(run(true)).toMatchObject({ type: 'close', incomplete: true }); // fails: no incomplete
  });
});
