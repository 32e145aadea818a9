/**
 * Where each detection of the live pipeline goes: the handle's streams, adaptation, the alert sinks and an
 * alert-driven state save, with the verdict latency sampled on the way. A failure to deliver one is logged, never
 * thrown (it would escape RxJS and end the process).
 */
import type { Detection } from '../stream/types.ts';
import type { FlowDeps } from './flow.ts';
import type { LatencyRing } from './latency.ts';

/** Each detection to the handle's streams, adaptation, the alert sinks and an alert-driven state save. */
export function deliverTo(deps: FlowDeps, latency: LatencyRing): (d: Detection) => void {
  const { log, metrics, events } = deps;
  let verdictCount = 0;
  const deliver = (d: Detection) => {
    // Latency is sampled (1 verdict in 8): percentiles stay accurate and the hot path stays cheap.
    if ((++verdictCount & 7) === 0) {
      const ms = Date.now() - d.verdict.receivedAt;
      latency.push(ms);
      metrics.observeLatency(ms);
    }
    deps.adaptation()?.observe(d);
    // Asked first: a Subject's next builds a closure and an iterator even for no subscriber (per window, per reading).
    if (events.detections.observed) events.detections.next(d);
    if (!d.alert) return;
    deps.sinks().alert(d.alert);
    deps.thresholds().persistSoon(d.alert.sensor);
  };
  return (d) => {
    try {
      deliver(d);
    } catch (err) {
      // An exception here would escape RxJS as an uncaught error and end the process; log it and go on.
      log.error({ err: (err as Error).message, sensor: d.verdict.sensor }, 'failed to deliver a verdict');
    }
  };
}
