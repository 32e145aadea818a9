/**
 * The alert policy: when a sensor's alert opens and closes (runtime/alerts/tracker.ts runs it), its fields, defaults
 * and checks.
 */
import { z } from 'zod';

/**
 * The alert policy's fields with their defaults: the `alerts` section of the config schema spreads them, and
 * `vigil score`, `vigil run` and the pipeline read their defaults from here, so the same file gives the same
 * alerts in all of them. A stream cannot take back a close it has published, so the merge gap is `closeM`:
 * anomalous runs fewer than `closeM` quiet windows apart are one alert.
 *
 * Defaults (5 of 10 to open, 10 quiet to close; a critical window opens at once), chosen on `npm run bench:quality`
 * with false alerts per day beside point-wise F1: the alerts opened for nothing were mostly windows just over the bar
 * (1.0-1.5x) a few rows apart, about 500 a day on a 1 Hz pump under 1 of 1 / close 3, 71 under these; F1 and the
 * false-alarm rate were as good or better on every set (bench/results/quality/VARIANTS.md, "Alerts an operator gets").
 */
export const alertPolicyFields = {
  /** Open when `openK` of the last `openN` windows are anomalous (or on one critical window). */
  openK: z.number().int().positive().default(5),
  openN: z.number().int().positive().default(10),
  /** Close after `closeM` normal windows in a row (also the merge gap: shorter quiet runs do not close). */
  closeM: z.number().int().positive().default(10),
  /** After a close, no new alert for the sensor until this much data time has passed (ms). */
  cooldownMs: z.number({ error: 'expected cooldown after a close in milliseconds (a number >= 0)' }).nonnegative().default(0),
  /** A window at the critical multiple of its threshold opens at once (false: `openK` of `openN` alone decides). */
  openCritical: z.boolean({ error: 'expected true or false' }).default(true),
};

/** Hysteresis and cooldown settings (`openCritical` absent: true). */
export type AlertPolicy = Omit<z.output<z.ZodObject<typeof alertPolicyFields>>, 'openCritical'> & { openCritical?: boolean };

/** Defaults of the alert policy (from `alertPolicyFields`). */
export const ALERT_DEFAULTS: AlertPolicy = z.object(alertPolicyFields).parse({});

/** Validate a policy; the message names the field and what was expected. */
export function checkPolicy(p: AlertPolicy): AlertPolicy {
  const int = (k: 'openK' | 'openN' | 'closeM', min: number) => {
    if (!Number.isInteger(p[k]) || p[k] < min) throw new Error(`alerts: ${k} must be an integer >= ${min}, got ${p[k]}`);
  };
  int('openK', 1);
  int('openN', 1);
  int('closeM', 1);
  if (p.openK > p.openN) throw new Error(`alerts: openK (${p.openK}) must not exceed openN (${p.openN})`);
  if (!(p.cooldownMs >= 0)) throw new Error(`alerts: cooldownMs must be a number >= 0, got ${p.cooldownMs}`);
  return p;
}
