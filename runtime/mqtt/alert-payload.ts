/**
 * The alert message as published and posted: a flat, versioned JSON object a plant engineer can read and a
 * program can parse. Sizes are bounded (contributors capped) so a model with many channels cannot make huge alerts.
 */
import type { AlertEvent } from '../stream/types.ts';
import { sensorIdProblem } from './topic-template.ts';

/** The alert JSON. */
export interface AlertPayload {
  schema: 'vigil-alert/1';
  type: 'open' | 'close';
  sensor: string;
  /** First and last timestamp of the window that triggered the event (ISO 8601 and epoch ms). */
  windowStart: string;
  windowEnd: string;
  tsFirst: number;
  tsLast: number;
  score: number;
  threshold: number;
  topChannels: { channel: string; share: number }[];
  model: { name: string; version: string };
  provider: string;
  severity: AlertSeverity;
  openedAt?: string;
  durationMs?: number;
  peakScore?: number;
}

/** How bad an event is: `critical` opens at twice the threshold or more, `warning` below, `clear` closes. */
export type AlertSeverity = 'critical' | 'warning' | 'clear';

/** Severity of an event, for consumers that route by it (MQTT 5 user property, payload field). */
export function alertSeverity(e: Pick<AlertEvent, 'type' | 'score' | 'threshold'>): AlertSeverity {
  if (e.type === 'close') return 'clear';
  return e.threshold > 0 && e.score >= 2 * e.threshold ? 'critical' : 'warning';
}

/** Build the payload for an event. */
export function alertPayload(e: AlertEvent, topChannels = 3): AlertPayload {
  const p: AlertPayload = {
    schema: 'vigil-alert/1',
    type: e.type,
    sensor: e.sensor,
    windowStart: new Date(e.tsFirst).toISOString(),
    windowEnd: new Date(e.tsLast).toISOString(),
    tsFirst: e.tsFirst,
    tsLast: e.tsLast,
    score: round(e.score),
    threshold: round(e.threshold),
    topChannels: e.contributors.slice(0, topChannels).map((c) => ({ channel: c.channel, share: round(c.share, 4) })),
    model: { name: e.model.name, version: e.model.version },
    provider: e.provider,
    severity: alertSeverity(e),
  };
  if (e.openedAt !== undefined) p.openedAt = new Date(e.openedAt).toISOString();
  if (e.durationMs !== undefined) p.durationMs = e.durationMs;
  if (e.peakScore !== undefined) p.peakScore = round(e.peakScore);
  return p;
}

/** Alert topic for a sensor; refuses ids that could inject levels or wildcards (they are validated upstream too). */
export function alertTopic(template: string, sensor: string): string {
  const problem = sensorIdProblem(sensor);
  if (problem) throw new Error(`refusing to publish an alert: ${problem}`);
  return template.replaceAll('{sensor}', sensor);
}

function round(v: number, digits = 6): number {
  return Number.isFinite(v) ? Number(v.toPrecision(digits)) : v;
}
