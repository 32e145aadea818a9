/**
 * An alert closed without a quiet window (`unresolved`: its sensor silent for good, or evicted to make room for a new
 * one) goes where a verdict's alert goes: counted, published by the sinks (alert topic, webhook, alert log), into the
 * handle's alert stream, and saved soon (the journal of alert states), so neither its consumers nor a restart keep it
 * open.
 */
import { alertEventOf } from '../alerts/raise-alerts.ts';
import type { AlertStep } from '../alerts/tracker.ts';
import type { ModelRef } from '../inference/model-ref.ts';
import type { ModelCard } from '../model/card.ts';
import type { PipelineCounters } from '../stream/counters.ts';
import type { AlertEvent } from '../stream/types.ts';
import type { RuntimeEvents } from './events.ts';
import type { RuntimeSinks } from './sinks.ts';
import type { RuntimeThresholds } from './thresholds.ts';

/** What publishing an unresolved close needs (each read when a close comes). */
export interface UnresolvedDeps {
  counters: PipelineCounters;
  events: RuntimeEvents;
  ref: () => ModelRef;
  sinks: () => RuntimeSinks;
  thresholds: () => RuntimeThresholds;
  /** Channels listed per event (`alerts.topChannels`). */
  topK: number;
}

/**
 * The event of an unresolved close `step` under `card` (undefined when undefined or not a close); `vigil run` and a
 * fleet partition (runtime/fleet/jetstream/partition-pipeline.ts) publish the same one.
 */
export function unresolvedEvent(step: AlertStep | undefined, card: ModelCard, topK: number): AlertEvent | undefined {
  const ev = step && alertEventOf(step, card, topK);
  if (!ev) return undefined;
  // Decided now, not when its peak's reading arrived (a re-probe: lateMs -16 s, or from 1970 after a restart): its
  // lateMs is then how long since its sensor's last verdict, and a retained copy is dated when it was sent.
  ev.receivedAt = Date.now();
  return ev;
}

/** Publish `sensor`'s unresolved close `step` (nothing when undefined or not a close); returns the event published. */
export function publishUnresolved(deps: UnresolvedDeps, sensor: string, step: AlertStep | undefined): AlertEvent | undefined {
  const ev = unresolvedEvent(step, deps.ref().current.card, deps.topK);
  if (!ev) return undefined;
  deps.counters.alertsClosed++;
  deps.sinks().alert(ev);
  deps.events.unresolved.next(ev);
  deps.thresholds().persistSoon(sensor);
  return ev;
}
