/**
 * The live page's alert spans, following the runtime's alert events: an open starts a sensor's span, an escalation
 * marks it critical, a close ends it with the tracker's peak and cause (a close or escalation without a matching open,
 * the dashboard started mid-alert, still gets a span); an alert restored after a restart gets one from its saved
 * peak. While a span is open, each verdict of its sensor may raise its peak and shows what a check found at once.
 * Each span is kept with its sensor (sensors.ts) and in the recent list across sensors.
 */
import type { AlertEvent, Verdict } from '@vigil/runtime/stream/types.ts';
import { verdictCause } from '@vigil/runtime/alerts/raise-alerts.ts';
import { isCritical } from '@vigil/runtime/alerts/escalation.ts';
import type { OpenAlert } from '@vigil/runtime/alerts/alert-bank.ts';
import { outsideValues } from '@vigil/runtime/alerts/saved-peak.ts';
import { topContributors } from '@vigil/runtime/scoring/reconstruction.ts';
import { PointRing } from './ring.ts';
import type { AlertSpan, SensorState } from './sensors.ts';
import type { Cause } from '@vigil/runtime/scoring/cause.ts';
import { causeChannel } from '@vigil/runtime/alerts/alert-lines.ts';
import type { OutsideChannel } from '@vigil/runtime/scoring/seen-range.ts';

/** The alert spans of the dashboard's sensors, and the recent ones across sensors. */
export class AlertSpans {
  private readonly recentRing: PointRing<AlertSpan>;

  /** `capacity`: spans kept in the recent list across sensors. */
  constructor(capacity: number) {
    this.recentRing = new PointRing<AlertSpan>(capacity);
  }

  /** Follow an alert of sensor `s` opening, escalating or closing. */
  onAlert(s: SensorState, e: AlertEvent): void {
    const span = this.follow(s, e);
    // A window of it judged a channel nobody measured (its open, an escalation or its worst): the row says so.
    if (e.incomplete) span.incomplete = true;
  }

  /** The span an event opens, escalates or closes. */
  private follow(s: SensorState, e: AlertEvent): AlertSpan {
    if (e.type === 'escalate') {
      const span = (s.open ??= this.openedLate(s, e));
      span.critical = true;
      if (e.score >= span.peakScore) raisePeak(span, e.score, e.threshold, e.contributors);
      if (e.cause) setCause(span, e.cause, e.contributors);
      return span;
    }
    if (e.type === 'open') {
      s.open = this.add(s, { sensor: e.sensor, start: e.tsLast, end: null, peakScore: e.score, threshold: e.threshold, contributors: e.contributors, ...(isCritical(e.score, e.threshold) && { critical: true }), ...(e.outside && { outside: e.outside }) });
      if (e.cause) setCause(s.open, e.cause, e.contributors);
      return s.open;
    }
    // A close without a matching open (dashboard started mid-alert) still gets a span.
    const span = s.open ?? this.openedLate(s, e);
    span.end = e.tsLast;
    // The tracker's peak, with its own window's threshold (what `vigil alerts` prints the ratio against).
    if (e.peakScore !== undefined && e.peakScore >= span.peakScore) raisePeak(span, e.peakScore, e.peakThreshold ?? span.peakThreshold);
    // The tracker's word, judged against each window's own threshold (an adaptive bar moves): not recomputed here.
    if (e.critical) span.critical = true;
    // The close is explained by the alert's worst window, as MQTT and `vigil alerts` say it (a probe: the row kept
    // the opening's channels beside the close's cause); what it showed (a sensor found stuck later) is kept.
    if (e.contributors.length) span.contributors = e.contributors;
    if (e.cause) setCause(span, e.cause, e.contributors);
    if (e.unresolved) span.unresolved = e.unresolved;
    if (e.marked) span.marked = e.marked;
    // Where it opened, when the open was not seen (restored after a restart): the close's worst window says it.
    if (e.outside && !span.outside) span.outside = e.outside;
    s.open = null;
    return span;
  }

  /**
   * An alert open before the dashboard started (restored after a restart): its span on sensor `s`, open, from its
   * saved peak (`channels`: names in model order for its contributors; `outsideOf`: the feed's reading of a window's
   * channels outside the trained range). False when `s` already has one open.
   */
  restore(s: SensorState, a: OpenAlert, channels?: string[], outsideOf?: (values: Float32Array) => OutsideChannel[] | undefined): boolean {
    if (s.open) return false;
    const named = topContributors(a.peak.perChannel, channels ?? a.peak.perChannel.map((_, k) => `channel ${k + 1}`));
    // Where its worst window was outside what training saw, as the open said it live (a probe: lost at a restart).
    const outside = a.peak.outside && outsideOf?.(outsideValues(a.peak.outside));
    s.open = this.add(s, {
      sensor: a.sensor,
      start: a.openedAt,
      end: null,
      peakScore: a.peak.score,
      threshold: a.peak.threshold,
      peakThreshold: a.peak.threshold,
      contributors: named,
      ...(a.critical && { critical: true }),
      ...(outside?.length && { outside }),
    });
    if (a.peak.cause) setCause(s.open, a.peak.cause, named);
    return true;
  }

  /** Alerts closed before the dashboard started (its recording, oldest first): listed as recent, not on a sensor's plots. */
  restoreClosed(spans: readonly AlertSpan[]): void {
    for (const span of spans) if (span.end !== null) this.recentRing.push(span);
  }

  /** The closed alerts of the recent list, oldest first (what a recording keeps). */
  closed(): AlertSpan[] {
    return this.recentRing.since().filter((s) => s.end !== null);
  }

  /** A verdict of sensor `s`: it may raise its open span's peak and say what a check found. */
  onVerdict(s: SensorState, v: Verdict): void {
    if (s.open && v.score > s.open.peakScore) raisePeak(s.open, v.score, v.threshold, topContributors(v.perChannel, s.channels));
    // While an alert is open, what a check finds in its anomalous windows (a sensor found stuck after the model
    // opened it) shows on the span at once, not only when it closes.
    const cause = s.open && v.anomaly ? verdictCause(v) : undefined;
    if (cause) setCause(s.open!, cause, topContributors(v.perChannel, s.channels, 1));
  }

  /** Recent alerts across sensors, newest first. */
  recent(limit: number): AlertSpan[] {
    return this.recentRing.since().slice(-limit).reverse();
  }

  private openedLate(s: SensorState, e: AlertEvent): AlertSpan {
    const span = this.add(s, {
      sensor: e.sensor,
      start: e.openedAt ?? e.tsFirst,
      end: null,
      peakScore: e.peakScore ?? e.score,
      threshold: e.threshold,
      ...(e.peakThreshold !== undefined && { peakThreshold: e.peakThreshold }),
      contributors: e.contributors,
      ...((e.critical || e.type === 'escalate') && { critical: true }),
      ...(e.outside && { outside: e.outside }),
    });
    if (e.cause) setCause(span, e.cause, e.contributors);
    return span;
  }

  /** A new alert span of sensor `s`: counted, kept with the sensor and in the recent list. */
  private add(s: SensorState, span: AlertSpan): AlertSpan {
    s.alerts++;
    s.spans.push(span);
    this.recentRing.push(span);
    return span;
  }
}

/**
 * A span's new peak, with the threshold of the window that scored it (its multiple is read against that bar) and,
 * while it is open, that window's channels: the row names the worst window's, as its close and an alert restored
 * after a restart (its saved peak) do (a probe: a restart mid-incident turned `chlorine 39% · current 23% · filter_dp
 * 21%`, the opening's, into `chlorine 56% · current 17% · turbidity 9%` on the same open alert).
 */
function raisePeak(span: AlertSpan, score: number, threshold: number | undefined, contributors?: AlertSpan['contributors']): void {
  span.peakScore = score;
  span.peakThreshold = threshold;
  if (contributors?.length) span.contributors = contributors;
}

/** What a check found on a span, and the channel it is about where that is one (alert-lines.ts `causeChannel`). */
function setCause(span: AlertSpan, cause: Cause, contributors: readonly { channel: string }[]): void {
  span.cause = cause;
  const channel = causeChannel(cause, contributors);
  if (channel) span.causeChannel = channel;
  else delete span.causeChannel;
}
