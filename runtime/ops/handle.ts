/** The contract of a running runtime (`startRuntime` in runtime.ts): its injectable parts and its handle. */
import type { Observable } from 'rxjs';
import type { RunConfig } from '../config/schema.ts';
import type { FleetMembership } from '../fleet/index.ts';
import type { ModelCard } from '../model/card.ts';
import type { PipelineCounters } from '../stream/counters.ts';
import type { AlertEvent, Detection, RawMessage, Reading, Rejected, Verdict } from '../stream/types.ts';
import type { OpenAlert } from '../alerts/alert-bank.ts';
import type { VigilLogger } from './logger.ts';
import type { EdgeCounters, RuntimeMetrics } from './metrics.ts';
import type { HealthReport } from './http.ts';
import type { HttpRefused } from './http-refusals.ts';
import type { ReloadOutcome } from './reload.ts';
import type { Adaptation } from '../adapt/adaptation.ts';
import type { ThresholdLearning } from '../thresholds/gate.ts';
import type { ExcusedChannel, ShiftedChannel } from '../scoring/drift-log.ts';
import type { AnchorProgress, CommandOutcome } from './re-anchors.ts';
import type { OperatorCommand } from './sensor-commands.ts';
import type { Maintenance } from '../alerts/maintenance.ts';
import type { Part } from './lifecycle.ts';

/** Injectable parts (tests pass a silent logger). */
export interface RuntimeDeps {
  logger?: VigilLogger;
  /** Extra messages merged with the MQTT intake (replay, embedding, tests); decoded like broker messages. */
  source?: Observable<RawMessage>;
  /**
   * A part that follows the handle's hot streams (`vigil run`'s dashboard), made from the handle: started just before the
   * intake (the model loaded, states restored, the broker connected), so before the first message is read, and stopped
   * once the intake has drained. One that
   * subscribes after `startRuntime` resolves misses the events of what a persistent session's broker had queued, which
   * is judged at the start (a probe: an alert closed in that backlog never reached the dashboard's list).
   */
  attached?: (handle: RuntimeHandle) => Part;
}

/** A running runtime. */
export interface RuntimeHandle {
  config: RunConfig;
  /** The card in service now (changes on hot reload). */
  card(): ModelCard;
  /** Execution provider in service, and why earlier ones in the list failed. */
  provider(): string;
  providerFailures: { provider: string; reason: string }[];
  counters: PipelineCounters;
  edge: EdgeCounters;
  metrics: RuntimeMetrics;
  /** `http://host:port` of /metrics and /health, when enabled. */
  opsUrl?: string;
  /** Report a request refused by an HTTP server's gate (the dashboard's `onRefused`): counted in /metrics and logged. */
  httpRefused: HttpRefused;
  /** Fleet membership when `fleet` is configured: the members and the partitions this worker owns. */
  fleet?: FleetMembership;
  /** Hot streams (subscribe any time; nothing is replayed). */
  verdicts: Observable<Verdict>;
  alerts: Observable<AlertEvent>;
  readings: Observable<Reading>;
  /** The readings the window stage took in, in order (what the model judges; refused and duplicate ones left out). */
  accepted: Observable<Reading>;
  /** Sensors whose readings the window stage is refusing (out of order, in a row: a clock set back). */
  refusing: Observable<{ sensor: string; reason: string }>;
  rejected: Observable<Rejected>;
  detections: Observable<Detection>;
  /** Outcomes of model hot reloads (swapped or refused). */
  reloads: Observable<ReloadOutcome>;
  /** Learning on the gateway when `adapt.enabled`: its reservoir, its decisions (dashboard marks), `adaptNow()`. */
  adaptation?: Adaptation;
  /** Broker connection state (true when connected); emits the current state on subscribe. */
  connection: Observable<boolean>;
  health(): HealthReport;
  /** What a sensor's adaptive threshold has learnt and kept out; undefined for a static bar or an unseen sensor. */
  learning(sensor: string): ThresholdLearning | undefined;
  /** Whether the silent-sensor watch has signalled the sensor silent (false without a watch). */
  isSilent(sensor: string): boolean;
  /** The sensors signalled silent now, with the wall clock of their last reading (none without a watch). */
  silentSensors(): { sensor: string; lastHeardAt: number }[];
  /** The alerts open now (restored ones included), for a page that opens after a restart. */
  openAlerts(): OpenAlert[];
  /** The sensor's channels that level drift excuses now (their level wandered, unconfirmed); empty when none. */
  levelDrift(sensor: string): ExcusedChannel[];
  /** The sensor's channels fed to the model shifted (inputs that follow the residual), largest first; empty when none. */
  inputShifts(sensor: string): ShiftedChannel[];
  /**
   * An operator's word on a sensor (runtime/ops/re-anchors.ts): `normal`, its present behaviour is normal (its tracked
   * level is set from its next `windows` windows, absent: 16), or `trained`, back to the trained level; refused with a
   * status and reason when the model follows no level or the sensor was not scored since the start. `by` names who
   * asked, for the log.
   */
  command(what: OperatorCommand, sensor: string, arg?: unknown, by?: string): CommandOutcome;
  /** The sensor's re-anchoring in progress, if any. */
  reAnchoring(sensor: string): AnchorProgress | undefined;
  /** The sensor's maintenance under way now (runtime/alerts/maintenance.ts; undefined: none). */
  maintenance(sensor: string): Maintenance | undefined;
  /** Recent arrival -> verdict latency percentiles (ms). */
  latency(): { p50: number; p99: number };
  /** Wait until every alert raised so far is acknowledged by the broker (and webhook); false on timeout. */
  drainAlerts(timeoutMs: number): Promise<boolean>;
  /** Persist threshold state now (also happens periodically and on stop). */
  persist(): Promise<void>;
  /** Stop intake, drain, persist, disconnect. Safe to call more than once. */
  stop(): Promise<void>;
  /** Resolves when the runtime has stopped. */
  stopped: Promise<void>;
}
