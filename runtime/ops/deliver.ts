/**
 * Where each detection of the live pipeline goes: the handle's streams, adaptation, the alert sinks and an
 * alert-driven state save, with the verdict latency sampled on the way (for the percentiles, the histogram and the
 * warning when verdicts fall behind: verdict-lag.ts). A failure to deliver one is logged, never thrown (it would
 * escape RxJS and end the process).
 */
import type { RunConfig } from '../config/schema.ts';
import type { Detection } from '../stream/types.ts';
import type { FlowDeps } from './flow.ts';
import { LatencyRing } from './latency.ts';
import { verdictLag } from './verdict-lag.ts';
import { realClock, type WarningClock } from '../util/rate-limited-warning.ts';

/** The delivery of detections: `deliver` each, `latency` its sampled percentiles, `flush` at the stop. */
export interface Delivery {
  deliver(d: Detection): void;
  latency: LatencyRing;
  flush(): void;
}

/** Each detection to the handle's streams, adaptation, the alert sinks and an alert-driven state save. */
export function deliverTo(deps: FlowDeps, config: Pick<RunConfig['log'], 'lagWarnMs'>, clock: WarningClock = realClock): Delivery {
  const { log, metrics, events, counters } = deps;
  const latency = new LatencyRing();
  const lag = verdictLag(log, config, () => counters, clock);
  let verdictCount = 0;
  const deliver = (d: Detection) => {
    // Latency is sampled (1 verdict in 8): percentiles stay accurate and the hot path stays cheap.
    if ((++verdictCount & 7) === 0) {
      const ms = clock.now() - d.verdict.receivedAt;
      latency.push(ms);
      metrics.observeLatency(ms);
      lag.observe(ms);
    }
    deps.adaptation()?.observe(d);
    // Asked first: a Subject's next builds a closure and an iterator even for no subscriber (per window, per reading).
    if (events.detections.observed) events.detections.next(d);
    if (!d.alert) return;
    deps.sinks().alert(d.alert);
    deps.thresholds().persistSoon(d.alert.sensor);
  };
  return {
    deliver(d) {
      try {
        deliver(d);
      } catch (err) {
        // An exception here would escape RxJS as an uncaught error and end the process; log it and go on.
        log.error({ err: (err as Error).message, sensor: d.verdict.sensor }, 'failed to deliver a verdict');
      }
    },
    latency,
    flush: lag.flush,
  };
}
