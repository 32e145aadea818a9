/**
 * The `invalid` message on a sensor's alert topic: a reading of the sensor refused as physically impossible or
 * unreadable (runtime/alerts/invalid-signals.ts), its schema and the builder the runtime publishes it with.
 */
import { z } from 'zod';
import { INVALID_SIGNAL_REASONS, type InvalidSignal } from '../alerts/invalid-signals.ts';
import { ALERT_SCHEMA, gatewayRef, maintenanceRef, modelRef } from './payload-envelope.ts';

/**
 * A sensor's invalid reading (runtime/alerts/invalid-signals.ts), on the sensor's alert topic: at most one per
 * sensor per `alerts.invalid.intervalMs`, `count` saying how many invalid readings it stands for.
 */
export const InvalidPayloadSchema = z.object({
  schema: z.literal(ALERT_SCHEMA),
  maintenance: maintenanceRef,
  gateway: gatewayRef,
  type: z.literal('invalid'),
  sensor: z.string(),
  /**
   * `out_of_range` (outside the card's physical range), `bad_value` (not a finite float32 number),
   * `missing_channel` (a channel left out of the sensor's readings for over `window.maxFillAgeMs`) or `out_of_order`
   * (dated before a reading already judged: refused until the sensor's time passes it; a clock set back).
   */
  reason: z.enum(INVALID_SIGNAL_REASONS),
  detail: z.string(),
  /** `out_of_range` only: the channel, the value read and the card's `[min, max]`. */
  channel: z.string().optional(),
  value: z.number().optional(),
  range: z.tuple([z.number(), z.number()]).optional(),
  /** `missing_channel` only: the channels missing. */
  channels: z.array(z.string()).optional(),
  /** When the reading arrived (ISO 8601 and epoch ms). */
  receivedAt: z.string(),
  ts: z.number(),
  /** Invalid readings of the sensor since its previous signal, this one included. */
  count: z.number(),
  model: modelRef,
  severity: z.literal('warning'),
});
/** An invalid-reading signal. */
export type InvalidPayload = z.infer<typeof InvalidPayloadSchema>;

/** Build the payload of an invalid-reading signal. */
export function invalidPayload(s: InvalidSignal, model: { name: string; version: string }): InvalidPayload {
  const o = s.outOfRange;
  return {
    schema: ALERT_SCHEMA,
    type: 'invalid',
    sensor: s.sensor,
    reason: s.reason,
    ...(o ? { channel: o.channel, value: o.value, range: [o.range[0], o.range[1]] as [number, number] } : {}),
    ...(s.channels ? { channels: s.channels } : {}),
    detail: s.detail,
    receivedAt: new Date(s.receivedAt).toISOString(),
    ts: s.receivedAt,
    count: s.count,
    model: { name: model.name, version: model.version },
    severity: 'warning',
  };
}
