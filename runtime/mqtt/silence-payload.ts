/**
 * The `silent` and `resumed` messages on a sensor's alert topic: the sensor stopped reporting, or started again
 * (runtime/alerts/silent-sensors.ts), their schema and the builder the runtime publishes them with.
 */
import { z } from 'zod';
import type { SilenceEvent } from '../alerts/silent-sensors.ts';
import { ALERT_SCHEMA, gatewayRef, maintenanceRef, modelRef } from './payload-envelope.ts';

/**
 * A sensor gone silent (`silent`: no reading for `alerts.silent.factor` times its usual interval, and at least
 * `alerts.silent.minMs`) or back (`resumed`: its first reading after one): runtime/alerts/silent-sensors.ts.
 */
export const SilencePayloadSchema = z.object({
  schema: z.literal(ALERT_SCHEMA),
  maintenance: maintenanceRef,
  gateway: gatewayRef,
  type: z.enum(['silent', 'resumed']),
  sensor: z.string(),
  /** When it was last heard before the silence (ISO 8601 and epoch ms, arrival time). */
  lastHeard: z.string(),
  lastHeardAt: z.number(),
  /** How long it has been quiet (silent: so far; resumed: in all), and its usual interval before (ms). */
  quietMs: z.number(),
  usualMs: z.number(),
  /**
   * Present when the device said it went offline rather than only falling quiet: `DDEATH` (a Sparkplug device's death
   * certificate) or `NDEATH` (its edge node's). Any text: a newer producer may name others.
   */
  cause: z.string().optional(),
  /**
   * `resumed` only: `evicted` when the sensor was not heard again but vigil stopped watching it to make room (more
   * sensors silent at once than window.maxSensors): its silence is ended, never seen to end. Any text from a newer
   * producer is shown as it is.
   */
  unresolved: z.string().optional(),
  model: modelRef,
  severity: z.enum(['warning', 'clear']),
});
/** A silence signal. */
export type SilencePayload = z.infer<typeof SilencePayloadSchema>;

/** Build the payload of a silence signal. */
export function silencePayload(e: SilenceEvent, model: { name: string; version: string }): SilencePayload {
  return {
    schema: ALERT_SCHEMA,
    type: e.type,
    sensor: e.sensor,
    lastHeard: new Date(e.lastHeardAt).toISOString(),
    lastHeardAt: e.lastHeardAt,
    quietMs: Math.round(e.quietMs),
    usualMs: Math.round(e.usualMs),
    ...(e.cause && { cause: e.cause }),
    ...(e.unresolved && { unresolved: e.unresolved }),
    model: { name: model.name, version: model.version },
    severity: e.type === 'silent' ? 'warning' : 'clear',
  };
}
