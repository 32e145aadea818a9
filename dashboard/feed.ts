/**
 * The dashboard's view of a running pipeline: streams of verdicts and alerts (and raw readings when the
 * runtime exposes them) plus a status snapshot. `vigil run`, `vigil demo` and tests each adapt to this.
 */
import type { Observable } from 'rxjs';
import type { AlertEvent, Reading, Rejected, Verdict } from '@vigil/runtime/stream/types.ts';
import type { Scaler } from '@vigil/runtime/scaling/scaler.ts';
import type { AdaptDecisionMark } from '@vigil/runtime/adapt/decision.ts';
import type { ThresholdLearning } from '@vigil/runtime/thresholds/gate.ts';
import type { OpenAlert } from '@vigil/runtime/alerts/alert-bank.ts';
import type { ExcusedChannel, ShiftedChannel } from '@vigil/runtime/scoring/drift-log.ts';
import type { OutsideChannel } from '@vigil/runtime/scoring/seen-range.ts';
import type { AnchorProgress, CommandOutcome } from '@vigil/runtime/ops/re-anchors.ts';
import type { OperatorCommand } from '@vigil/runtime/ops/sensor-commands.ts';
import type { Maintenance } from '@vigil/runtime/alerts/maintenance.ts';

/** What the runtime reports about itself; every field optional, the dashboard measures the rest. */
export interface FeedStatus {
  /** Provider that actually runs inference, e.g. `ort-node/cpu`. */
  provider?: string;
  /** Micro-batch size limit (windows per inference call). */
  batchSize?: number;
  /** Windows per inference call as batching achieves it: the mean over about the last second (`vigil_batch_size` in /metrics has the distribution). */
  effectiveBatch?: number;
  /** Windows scored per second. */
  throughput?: number;
  /** End-to-end latency from arrival to verdict, ms. */
  latencyMs?: { p50: number; p99: number };
  /** The model serving the sensors. */
  model?: { name: string; version: string };
  /** What the model's score is, as plots name it (runtime/model/score-label.ts), e.g. `anomaly score (Mahalanobis)`. */
  scoreLabel?: string;
  /** Messages set aside (bad payloads and the like). */
  rejected?: number;
  /** Readings and windows dropped so far, by reason (duplicate, out_of_order, sensor_limit, queue_full, ...). */
  dropped?: Record<string, number>;
  /** The broker connection: `lost` while vigil cannot reach it (no readings in, alerts held back); absent: unknown. */
  broker?: 'connected' | 'lost';
  /** Where data comes from, e.g. `mqtt://127.0.0.1:1883 sensors/#`. */
  source?: string;
  /** The model in service takes commands (mark normal, back to training: it follows a level); the page shows them behind a token only. */
  commands?: boolean;
  /** The page may put a sensor under maintenance (the server takes commands, behind a token). */
  maintenance?: boolean;
}

/** A live pipeline as the dashboard sees it. */
export interface DashboardFeed {
  /** Every scored window with its threshold decision. */
  verdicts: Observable<Verdict>;
  /** Alert open/close events. */
  alerts: Observable<AlertEvent>;
  /** Raw readings, for plotting channels in their own units; without it the last row of each window is shown. */
  readings?: Observable<Reading>;
  /** Messages set aside (bad payloads, unknown topics), shown with their reasons so they can be fixed at the source. */
  rejected?: Observable<Rejected>;
  /** Sensors whose readings the window stage is refusing (a clock set back): marked invalid like a rejected reading. */
  refusing?: Observable<{ sensor: string; reason: string }>;
  /** Decisions of adaptation on the gateway (adapted, refused, rolled back, ...), shown as marks. */
  adaptations?: Observable<AdaptDecisionMark>;
  /** Channel names in model order (the card's `channels`). */
  channels?: string[];
  /** The card's scaler, used to show window rows in original units when there is no `readings` stream. */
  scaler?: Scaler;
  /** The alerts open when the dashboard starts (restored after a restart), shown as open until their events come. */
  openAlerts?(): OpenAlert[];
  /** Whether the runtime's silent-sensor watch says the sensor stopped reporting (absent: no watch). */
  isSilent?(sensor: string): boolean;
  /**
   * The sensors silent when the dashboard starts (the watch's, restored after a restart), listed from the start: a
   * sensor that sends nothing would otherwise never appear (a probe: a dead transmitter vanished after a restart).
   */
  silentSensors?(): { sensor: string; lastHeardAt: number }[];
  /** Current status; called on each dashboard tick. */
  status?(): FeedStatus;
  /** What the selected sensor's adaptive threshold has learnt and kept out (absent for a static bar). */
  learning?(sensor: string): ThresholdLearning | undefined;
  /** The selected sensor's channels that level drift excuses now (empty or absent: none). */
  levelDrift?(sensor: string): ExcusedChannel[];
  /** The selected sensor's channels fed to the model shifted (empty or absent: none). */
  inputShifts?(sensor: string): ShiftedChannel[];
  /**
   * The channels of a window's `outside` (Verdict.outside: span means, scaled, NaN inside) by name and in their own
   * units, as the card in service reads them (runtime/scoring/seen-range.ts); absent: not shown.
   */
  outside?(values: Float32Array): OutsideChannel[] | undefined;
  /**
   * Labelled windows of a sensor (known incidents, epoch ms, `end` inclusive), shaded on its plots so an operator
   * sees whether an alert hit one (the demo's NAB windows); empty or absent: none.
   */
  labels?(sensor: string): { start: number; end: number }[];
  /** An operator's word on a sensor (runtime/ops/re-anchors.ts), posted by the page; absent: no runtime to tell. */
  command?(what: OperatorCommand, sensor: string, arg: unknown, by: string): CommandOutcome;
  /** The selected sensor's re-anchoring in progress (absent or undefined: none). */
  reAnchoring?(sensor: string): AnchorProgress | undefined;
  /** The selected sensor's maintenance under way now (absent or undefined: none). */
  maintenance?(sensor: string): Maintenance | undefined;
}
