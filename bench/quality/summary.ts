/**
 * Per data set and method: pooled metrics over its runs, plus the set's own protocol figures (Tennessee Eastman:
 * average detection rate over the observable faults and the false-alarm rate on the normal rows).
 */
import { poolMetrics, type LabelMetrics } from '../../evaluate/labels/metrics.ts';
import type { Attribution } from './attribution.ts';
import type { LabelledSet } from './labelled-run.ts';
import { TEP_UNOBSERVABLE, tepFault } from './tep.ts';

/** One method on one set. */
export interface MethodSummary {
  set: string;
  method: string;
  description: string;
  pooled: LabelMetrics;
  perRun: Array<{ id: string; metrics: LabelMetrics }>;
  /** Set-specific figures by name (e.g. 'avgDetectionRate'). */
  protocol: Record<string, number>;
  /** vigil on sets that record the faults' channels: alerted fault rows naming one of them first (attribution.ts). */
  attribution?: Attribution;
}

/** Tennessee Eastman protocol: mean detection rate (recall) over faults other than 3, 9, 15; FAR on normal rows. */
export function tepProtocol(perRun: Array<{ id: string; metrics: LabelMetrics }>): Record<string, number> {
  const dr = perRun.filter((r) => tepFault(r.id) > 0 && !TEP_UNOBSERVABLE.includes(tepFault(r.id))).map((r) => r.metrics.recall);
  const pooled = poolMetrics(perRun.map((r) => r.metrics));
  return { avgDetectionRate: dr.reduce((a, b) => a + b, 0) / Math.max(1, dr.length), faults: dr.length, normalRowsFAR: pooled.falseAlarmRate };
}

/** Summarise per-run metrics of one method on one set. */
export function summarise(set: LabelledSet, method: string, description: string, perRun: Array<{ id: string; metrics: LabelMetrics }>): MethodSummary {
  return {
    set: set.name, method, description, perRun,
    pooled: poolMetrics(perRun.map((r) => r.metrics)),
    protocol: set.name === 'tep' ? tepProtocol(perRun) : {},
  };
}
