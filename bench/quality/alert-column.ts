/**
 * The alert column an alert policy makes of per-row scores and bars: what `vigil score` writes from vigil's own
 * verdicts (runtime/alerts/tracker.ts, the same tracker the live runtime uses), here for any method, so a baseline
 * can be judged with vigil's alert policy as well as row by row.
 */
import { AlertTracker, ALERT_DEFAULTS, type AlertPolicy } from '../../runtime/alerts/tracker.ts';
import type { Verdict } from '../../runtime/stream/types.ts';

/** 1 where an alert is open after row i's verdict (score above its bar), from row `from` on. */
export function alertColumn(scores: ArrayLike<number>, bar: (row: number) => number, timestamps: Float64Array, from: number, policy: Partial<AlertPolicy> = {}): Uint8Array {
  const tracker = new AlertTracker({ ...ALERT_DEFAULTS, ...policy });
  const alert = new Uint8Array(scores.length);
  const none = new Float32Array(0);
  for (let i = from; i < scores.length; i++) {
    const threshold = bar(i);
    const verdict = { sensor: 's', score: scores[i], threshold, anomaly: scores[i] > threshold, tsFirst: timestamps[i], tsLast: timestamps[i], data: none, perChannel: none } as Verdict;
    tracker.step(verdict);
    alert[i] = tracker.isOpen ? 1 : 0;
  }
  return alert;
}
