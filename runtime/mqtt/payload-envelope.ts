/**
 * What every message on an alert topic carries, whatever its kind: the version tag, the vigil that sent it, the
 * model behind it, and on signals the maintenance that mutes them. Each kind's schema (alert-payload.ts,
 * invalid-payload.ts, silence-payload.ts) is built from these, so they are written once.
 */
import { z } from 'zod';

/** The version tag every alert message carries. */
export const ALERT_SCHEMA = 'vigil-alert/1';

/**
 * The vigil that sent an event (config `gateway.id`: the host name unless set), on every kind, right after `schema`:
 * two gateways on one broker (a hot standby, two sites that both name a sensor `pump-1`) are told apart by it, and
 * `gateway` with `incident`, `type` and `tsLast` identifies an alert event. Absent on events of older producers.
 */
export const gatewayRef = z.string().optional();

/**
 * The model behind an event: name and version, and on alerts `weights`, the first 12 hex digits of its ONNX file's
 * sha256 (a model retrained or hot-reloaded under the same name and version gives other alerts: a probe could not tell
 * them apart). Absent on events of older producers.
 */
export const modelRef = z.object({ name: z.string(), version: z.string(), weights: z.string().optional() });

/**
 * On a silence or invalid-reading signal: its sensor is under maintenance (runtime/alerts/maintenance.ts) until
 * `until`, set by `by`. The signal still says what the data is (a pump switched off for the work stops reporting; a
 * transmitter recalibrated reads out of range), marked so that whatever pages on it can leave it be.
 */
export const maintenanceRef = z.object({ until: z.string(), by: z.string().optional() }).optional();

/** `p` naming the gateway that sends it (`gateway`, right after `schema`); as it is without one. */
export function fromGateway<P extends { schema: string }>(p: P, gateway: string | undefined): P {
  if (gateway === undefined) return p;
  // Spelt out so the key order is schema, gateway, then the rest (a reader's eye, and a log line, meet it first).
  const { schema, ...rest } = p;
  return { schema, gateway, ...rest } as unknown as P;
}
