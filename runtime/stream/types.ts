/**
 * The values that flow through the pipeline, one type per arrow:
 * source → decode → window → batch → infer → score → threshold → alert → sink.
 */

import type { Scaler } from '../scaling/scaler.ts';
import type { OutOfRange } from '../model/ranges.ts';
import type { RowLog } from '../window/row-log.ts';
import type { Cause } from '../scoring/cause.ts';
import type { OutsideChannel } from '../scoring/seen-range.ts';
import type { Mark, MarkNews } from '../scoring/re-anchor.ts';
import type { MaintenanceMark } from '../alerts/maintenance.ts';

/** A raw message as it arrives from a source (MQTT, replay, CSV). */
export interface RawMessage {
  topic: string;
  payload: Uint8Array;
  /** Arrival time, epoch ms. */
  receivedAt: number;
  /** MQTT 5 content type of the message, when the publisher set one (it may choose the codec). */
  contentType?: string;
}

/** One decoded reading of a sensor: named channel values at a timestamp. */
export interface Reading {
  sensor: string;
  /** Epoch ms (from the payload, or arrival time when the payload has none). */
  ts: number;
  values: Record<string, number>;
  receivedAt: number;
  /**
   * Set when `ts` is the arrival time (the payload carried none): arrival order is then the reading's order, so
   * the window stage orders two such readings in one millisecond instead of dropping one as a duplicate.
   */
  arrival?: true;
  /** Admission pool of the reading's topic (runtime/stream/admission.ts), set by the decode stage when rules exist. */
  pool?: number;
  /** Some value was filled before it got here (a CSV read with --fill): like a forward-filled row, never judged stuck. */
  filled?: true;
}

/** A message set aside, with a reason a person can act on. Counted by `reason` and sent to the dead-letter sink. */
export interface Rejected {
  reason: string;
  detail: string;
  topic: string;
  payload?: Uint8Array;
  receivedAt: number;
  /** The sensor, when the topic named one (payload and range rejections): its invalid readings are signalled. */
  sensor?: string;
  /** `out_of_range`: the channel, its value and the card's range. */
  outOfRange?: OutOfRange;
}

/** A full window of one sensor, scaled, time-major (W x C), ready for inference. */
export interface SensorWindow {
  sensor: string;
  /** Timestamp of the first and last row in the window. */
  tsFirst: number;
  tsLast: number;
  /**
   * The values, W x C. A view window (`rows` set) has none until its batch is assembled; from then on they are a
   * view over the batch input, valid until the next batch is assembled: whatever keeps a verdict past its batch
   * and reads its values copies them (the alert tracker keeps only scores and `perChannel`, a batch's own array).
   */
  data: Float32Array;
  /** A view window: its rows are rows seq-W+1..seq of this log, copied into the batch input when it is assembled. */
  rows?: RowLog;
  /** Row index within the sensor's stream of the window's last row (0-based). */
  seq: number;
  /** Arrival time of the reading that completed the window (for latency). */
  receivedAt: number;
  /** True when some channel was forward-filled past its max age. */
  incomplete?: boolean;
  /**
   * True when some row had a channel forward-filled (the reading did not carry it): the stuck-sensor check
   * (scoring/flatline.ts) does not judge the window, since a channel reported by exception holds still unstuck.
   */
  filled?: boolean;
  /** The scaler `data` was scaled with; inference re-scales when the model was swapped meanwhile. */
  scaler?: Scaler;
}

/** A window with its reconstruction error. */
export interface ScoredWindow extends SensorWindow {
  score: number;
  /**
   * With a residual memory (card `scoring.residual.memory`): the window's own statistic when the memory's, larger,
   * is the score the model stage gave (a small shift that persisted; with smoothing, `rawScore`); undefined otherwise.
   */
  ownScore?: number;
  /**
   * What a check says the window shows (scoring/cause.ts): `stuck` (a channel held exactly still), `spread` (roughened
   * channels gave it its score) or `memory` (the residual memory gave it); undefined when only the model's statistic
   * speaks.
   */
  cause?: Cause;
  /**
   * Channels outside the range training saw (scoring/seen-range.ts): per channel (length C) the mean of the window's
   * last `span` rows, scaled, where it is outside, NaN where inside; undefined when none is (or the card has no range).
   */
  outside?: Float32Array;
  /**
   * Set on the window in which an operator's re-anchoring of its sensor began or completed (runtime/scoring/re-anchor.ts
   * `MarkNews`): the command and who asked, for the alert it closes to say.
   */
  marked?: MarkNews;
  /** Per-channel error (length C), in card channel order. */
  perChannel: Float32Array;
  /** Provider that ran the batch, e.g. `ort-node/cpu`. */
  provider: string;
}

/** A scored window with its threshold decision. */
export interface Verdict extends ScoredWindow {
  threshold: number;
  anomaly: boolean;
  /** The unsmoothed score when smoothing is on (`score` is then the smoothed one the threshold judged). */
  rawScore?: number;
}

/** An alert opening or closing for a sensor. */
export interface AlertEvent {
  /** `escalate`: an open alert's first window at the critical multiple of its threshold (it opened below it). */
  type: 'open' | 'escalate' | 'close';
  sensor: string;
  /** Window bounds of the window that triggered this event. */
  tsFirst: number;
  tsLast: number;
  score: number;
  threshold: number;
  /** Channels ranked by share of the error. */
  contributors: { channel: string; share: number }[];
  /** `weights`: the first 12 hex digits of the model's ONNX sha256 (tells apart models of one name and version). */
  model: { name: string; version: string; weights?: string };
  provider: string;
  /**
   * True when the window that explains the event (the opening one; on close the worst one) scored by the residual
   * memory and its own statistic alone is not over the bar: a small shift that persisted.
   */
  memory?: boolean;
  /**
   * What the window that explains the event shows, when a check says more than the model's score: `stuck` (a
   * channel held exactly still over the window: the first contributor), `spread` (channels moving from row to row
   * more than in training gave it its score: the contributors are the roughened ones) or `memory` (as `memory`).
   */
  cause?: Cause;
  /**
   * Channels of the window that explains the event whose inputs are outside the range training saw (scoring/seen-range.ts),
   * farthest first, in their own units: an operating point (or a drift) the model never saw, which it cannot tell from
   * a fault. Absent when none is, or the card has no seen range.
   */
  outside?: OutsideChannel[];
  /**
   * The window that explains the event had a channel its readings did not carry (never sent, or left out past
   * `window.maxFillAgeMs`), held at its last value or the training mean: the model judged a value nobody measured,
   * and the contributors may name that channel (a probe: an alert blamed channels a sensor never sent).
   */
  incomplete?: boolean;
  /** Arrival time (epoch ms) of the reading that closed the window behind the event: with `tsLast`, how late it is. */
  receivedAt?: number;
  /** On close (and escalate: `openedAt`): when the alert opened, how long it lasted (ms) and its peak score. */
  openedAt?: number;
  durationMs?: number;
  peakScore?: number;
  /** On close: the threshold of the peak's own window (the ratio the peak reached; the bar may have moved since). */
  peakThreshold?: number;
  /** On close: it had a window at the critical multiple of that window's threshold (it opened critical or escalated). */
  critical?: boolean;
  /**
   * On close: `silent` when no window closed it: its sensor sent nothing for `window.idleEvictMs` after it was signalled
   * silent, so nothing ever would (a decommissioned or dead sensor; `score` and `threshold` are the peak's); `evicted`
   * when vigil dropped the sensor's alert state to make room for a new sensor (window.maxSensors over all pools): vigil
   * stopped watching it, and its next alert, if any, is a new one.
   */
  unresolved?: 'silent' | 'evicted';
  /**
   * On close: an operator's word on the sensor (POST /sensors/NAME/normal or /trained, runtime/ops/re-anchors.ts)
   * began while the alert was anomalous and nothing anomalous came after it was done, so its level was set by hand: the
   * close says that, not that the fault ended. `maintenance`: the sensor was put under maintenance (maintenance.ts), and
   * the alert closed at its first window.
   */
  marked?: Mark | MaintenanceMark;
}

/** What the pipeline emits per scored window: the verdict, the alert event it caused, and the alert state after it. */
export interface Detection {
  verdict: Verdict;
  alert?: AlertEvent;
  /** Whether the sensor's alert is open after this verdict. */
  alertOpen: boolean;
  /** The window is of a sensor under maintenance (runtime/alerts/maintenance.ts): nothing learns from it as normal. */
  muted?: true;
}
