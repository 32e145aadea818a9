/**
 * The runtime's hot event streams for its handle (dashboard, embedding, tests): what came in, what was
 * rejected, what was detected (verdicts and alerts are split from it by the pipeline's `splitDetections`),
 * model reloads and the broker connection. Nothing is replayed except the connection's current state.
 */
import { BehaviorSubject, merge, Subject, type Observable } from 'rxjs';
import { splitDetections } from '../stream/pipeline.ts';
import type { AlertEvent, Detection, Reading, Rejected, Verdict } from '../stream/types.ts';
import type { ReloadOutcome } from './reload.ts';

/** The streams, their feeds, and `complete()` for the end of a run. */
export interface RuntimeEvents {
  readings: Subject<Reading>;
  /** Readings the window stage took in (refused, duplicate and out-of-order ones left out). */
  accepted: Subject<Reading>;
  /** Sensors whose readings the window stage is refusing (out of order, three or more in a row: a clock set back). */
  refusing: Subject<{ sensor: string; reason: string }>;
  rejected: Subject<Rejected>;
  detections: Subject<Detection>;
  reloads: Subject<ReloadOutcome>;
  connection: BehaviorSubject<boolean>;
  /** Alerts closed without a verdict (a sensor silent for good: `unresolved`), merged into `alerts$`. */
  unresolved: Subject<AlertEvent>;
  verdicts$: Observable<Verdict>;
  alerts$: Observable<AlertEvent>;
  /** Complete every stream (after the last detection). */
  complete(): void;
}

/** Open the event streams. */
export function createEvents(): RuntimeEvents {
  const readings = new Subject<Reading>();
  const accepted = new Subject<Reading>();
  const refusing = new Subject<{ sensor: string; reason: string }>();
  const rejected = new Subject<Rejected>();
  const detections = new Subject<Detection>();
  const reloads = new Subject<ReloadOutcome>();
  const connection = new BehaviorSubject<boolean>(false);
  const unresolved = new Subject<AlertEvent>();
  const split = splitDetections(detections.asObservable());
  const alerts$ = merge(split.alerts$, unresolved);
  const complete = () => {
    for (const s of [readings, accepted, refusing, rejected, detections, reloads, connection, unresolved]) s.complete();
  };
  return { readings, accepted, refusing, rejected, detections, reloads, connection, unresolved, verdicts$: split.verdicts$, alerts$, complete };
}
