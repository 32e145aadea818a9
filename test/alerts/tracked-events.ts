/** Test helper: scored windows through one sensor's alert tracker, saved and restored mid-way as a restart does. */
import { alertEventOf } from '../../runtime/alerts/raise-alerts.ts';
import { AlertTracker, type AlertPolicy, type AlertTrackerState } from '../../runtime/alerts/tracker.ts';
import type { ModelCard } from '../../runtime/model/card.ts';
import type { AlertEvent, ScoredWindow, Verdict } from '../../runtime/stream/types.ts';

/**
 * The alert events of `scored` judged against a static `bar` under `policy`, the tracker saved (through JSON) and
 * restored after the window of `restartAtSeq`; with the state it saved then.
 */
export function trackedEvents(scored: ScoredWindow[], card: ModelCard, policy: AlertPolicy, bar: number, restartAtSeq: number): { events: AlertEvent[]; saved?: AlertTrackerState } {
  let t = new AlertTracker(policy);
  const events: AlertEvent[] = [];
  let saved: AlertTrackerState | undefined;
  for (const w of scored) {
    const e = alertEventOf(t.step({ ...w, threshold: bar, anomaly: w.score > bar } as Verdict), card);
    if (e) events.push(e);
    if (w.seq === restartAtSeq) {
      saved = JSON.parse(JSON.stringify(t.toJSON())) as AlertTrackerState;
      t = AlertTracker.restore(policy, saved, w.sensor);
    }
  }
  return { events, saved };
}
