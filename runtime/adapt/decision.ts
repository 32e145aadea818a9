/**
 * A decision of adaptation on the gateway, and where each one goes: one log line, the counter
 * `vigil_adaptations_total{outcome}`, and a mark on the dashboard (the `decisions` stream of the runtime's handle).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { VigilLogger } from '../ops/logger.ts';
import type { Reservoir } from './reservoir.ts';

/** What an adaptation step decided. */
export type AdaptOutcome = 'adapted' | 'refused' | 'failed' | 'paused' | 'kept' | 'rolled_back';

/** One decision, as logged, counted and marked. */
export interface AdaptDecisionMark {
  /** Wall-clock ms. */
  at: number;
  outcome: AdaptOutcome;
  /** Model name, and the versions before and after (when it changed). */
  model: string;
  from?: string;
  to?: string;
  /** Why, in a sentence a person can act on (the `vigil adapt` line for refusals). */
  detail: string;
}

/** Outcomes worth a warning in the log (the rest are info). */
const WARN: ReadonlySet<AdaptOutcome> = new Set(['failed', 'rolled_back']);

/** The log/metric side of decisions; returns the function that records one. */
export function decisionRecorder(log: VigilLogger, registry: Registry, reservoir: () => Reservoir): (d: AdaptDecisionMark) => void {
  const counter = new Counter({ name: 'vigil_adaptations_total', help: 'Adaptation decisions on the gateway, by outcome (adapted, refused, failed, paused, kept, rolled_back)', labelNames: ['outcome'], registers: [registry] });
  new Gauge({ name: 'vigil_reservoir_windows', help: 'Clearly normal windows held in the adaptation reservoir', registers: [registry], collect() { this.set(reservoir().size); } });
  new Gauge({ name: 'vigil_reservoir_bytes', help: 'Estimated size of the windows the adaptation reservoir holds, at their size in its file (bounded by adapt.reservoir.maxBytes)', registers: [registry], collect() { this.set(reservoir().bytes); } });
  return (d) => {
    counter.inc({ outcome: d.outcome });
    const versions = d.from && d.to && d.from !== d.to ? ` ${d.from} -> ${d.to}` : d.from ? ` (serving ${d.from})` : '';
    const fields = { adapt: d.outcome, model: d.model, from: d.from, to: d.to };
    (WARN.has(d.outcome) ? log.warn.bind(log) : log.info.bind(log))(fields, `adaptation ${d.outcome.replace('_', ' ')}: ${d.model}${versions}: ${d.detail}`);
  };
}
