/**
 * Verdict -> AlertEvent: one AlertTracker per sensor (bounded, least recently used dropped), events carrying
 * the window bounds, score, threshold, top contributing channels, model and execution provider.
 */
import { filter, map, Observable, pipe, type OperatorFunction } from 'rxjs';
import { weightsOf, type ModelCard } from '../model/card.ts';
import { topContributors } from '../scoring/reconstruction.ts';
import { createCounters, type PipelineCounters } from '../stream/counters.ts';
import type { Cause } from '../scoring/cause.ts';
import { outsideChannels } from '../scoring/seen-range.ts';
import type { AlertEvent, Detection, Verdict } from '../stream/types.ts';
import { ALERT_DEFAULTS, checkPolicy, type AlertPolicy, type AlertStep } from './tracker.ts';
import { AlertBank } from './alert-bank.ts';

/** Options of `raiseAlerts`. */
export interface RaiseAlertsOptions extends Partial<AlertPolicy> {
  /** The card (or a getter for the one in service): channel names and model name/version. */
  card: ModelCard | (() => ModelCard);
  /** Channels listed per event (default 3). */
  topK?: number;
  /** Most sensors tracked (default 10,000). */
  maxSensors?: number;
  /** Per-sensor trackers the caller owns (to save and restore open alerts); its policy wins over the fields above. */
  bank?: AlertBank;
  counters?: PipelineCounters;
}

/**
 * What a check found in a judged window, as its alert reports it: a stuck sensor whatever scored the window; the
 * spread or the residual memory where it scored the window over the bar (raw, before any smoothing), the memory only
 * where the window's own statistic alone is not over it (a fault loud on its own is not called a persistent shift
 * because the memory also passed the bar during it).
 */
export function verdictCause(v: Pick<Verdict, 'cause' | 'ownScore' | 'threshold' | 'score' | 'rawScore'>): Cause | undefined {
  if (v.cause === 'stuck') return 'stuck';
  if (v.cause === undefined || !((v.rawScore ?? v.score) > v.threshold)) return undefined;
  if (v.cause === 'memory') return v.ownScore !== undefined && !(v.ownScore > v.threshold) ? 'memory' : undefined;
  return v.cause;
}

/** Turn one tracker step into an event, or undefined when nothing opened, escalated or closed. */
export function alertEventOf(step: AlertStep, card: ModelCard, topK = 3): AlertEvent | undefined {
  if (step.kind !== 'open' && step.kind !== 'escalate' && step.kind !== 'close') return undefined;
  const v = step.verdict;
  // The close event explains the alert by its worst window, not by the quiet one that closed it.
  const explain = step.kind === 'close' ? step.peak : v;
  const ev: AlertEvent = {
    type: step.kind,
    sensor: v.sensor,
    tsFirst: v.tsFirst,
    tsLast: v.tsLast,
    score: v.score,
    threshold: v.threshold,
    contributors: topContributors(explain.perChannel, card.channels, topK),
    model: { name: card.name, version: card.version, ...(card.onnx?.sha256 ? { weights: weightsOf(card) } : {}) },
    provider: v.provider,
    receivedAt: v.receivedAt,
  };
  const cause = verdictCause(explain);
  if (cause) ev.cause = cause;
  if (cause === 'memory') ev.memory = true;
  const outside = explain.outside && outsideChannels(explain.outside, card);
  if (outside && outside.length > 0) ev.outside = outside;
  if (explain.incomplete) ev.incomplete = true;
  if (step.kind === 'escalate') ev.openedAt = step.openedAt;
  if (step.kind === 'close') {
    ev.openedAt = step.openedAt;
    ev.durationMs = step.durationMs;
    ev.peakScore = step.peak.score;
    ev.peakThreshold = step.peak.threshold;
    if (step.critical) ev.critical = true;
    if (step.unresolved) ev.unresolved = step.unresolved;
    if (step.marked) ev.marked = step.marked;
    if (step.maintenance) ev.marked = { command: 'maintenance', by: step.maintenance.by, until: step.maintenance.until };
  }
  return ev;
}

/** Build the per-sensor trackers' policy from options, with defaults. */
function policyOf(opts: RaiseAlertsOptions): AlertPolicy {
  return checkPolicy({
    openK: opts.openK ?? ALERT_DEFAULTS.openK,
    openN: opts.openN ?? Math.max(ALERT_DEFAULTS.openN, opts.openK ?? 1),
    closeM: opts.closeM ?? ALERT_DEFAULTS.closeM,
    cooldownMs: opts.cooldownMs ?? ALERT_DEFAULTS.cooldownMs,
    openCritical: opts.openCritical ?? ALERT_DEFAULTS.openCritical,
  });
}

/** Verdict -> Detection: the verdict, the alert event it caused (if any) and whether its sensor's alert is open. */
export function trackAlerts(opts: RaiseAlertsOptions): OperatorFunction<Verdict, Detection> {
  const policy = opts.bank?.policy ?? policyOf(opts);
  const cardOf = typeof opts.card === 'function' ? opts.card : () => opts.card as ModelCard;
  const counters = opts.counters ?? createCounters();
  return (source) =>
    new Observable<Detection>((subscriber) => {
      // A bank the caller owns outlives a resubscription (a pipeline restart keeps open alerts open).
      const trackers = opts.bank ?? new AlertBank(policy, { maxSensors: opts.maxSensors ?? 10_000 });
      return source.subscribe({
        next: (verdict) => {
          const t = trackers.get(verdict.sensor);
          const step = t.step(verdict);
          if (step.kind === 'duplicate') counters.alertDuplicates++;
          else if (step.kind === 'suppressed') counters.alertsSuppressed++;
          else if (step.kind === 'muted') counters.windowsMuted++;
          const alert = alertEventOf(step, cardOf(), opts.topK);
          if (alert?.type === 'open') counters.alertsOpened++;
          else if (alert?.type === 'escalate') counters.alertsEscalated++;
          else if (alert) counters.alertsClosed++;
          const d: Detection = alert ? { verdict, alert, alertOpen: t.isOpen } : { verdict, alertOpen: t.isOpen };
          // What learns from normal windows leaves a sensor's maintenance out (maintenance.ts).
          if (step.kind === 'muted' || (step.kind === 'close' && step.maintenance)) d.muted = true;
          subscriber.next(d);
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** Verdict -> AlertEvent: open and close alerts per sensor with hysteresis, cooldown and dedupe. */
export function raiseAlerts(opts: RaiseAlertsOptions): OperatorFunction<Verdict, AlertEvent> {
  return pipe(
    trackAlerts(opts),
    filter((d) => d.alert !== undefined),
    map((d) => d.alert!),
  );
}
