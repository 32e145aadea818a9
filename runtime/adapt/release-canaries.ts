/**
 * The operator command `release` (POST /sensors/NAME/release on the ops server and the dashboard, or `"command":
 * "release"` on the MQTT command topic): an operator who looked at a sensor's past alerts and found them false lets
 * adaptation go on without them. Each alert whose peak reached `canaryMinPeak` x its threshold is kept in the
 * reservoir as a canary, and `vigil adapt` refuses any model that no longer flags one (canaries.ts): a single false
 * alert, a normal change the old model flagged strongly, then blocks every adaptation until `canaryAlerts` newer
 * alerts push it out, and no adaptation can learn the very change that raised it. `release` drops that sensor's
 * canaries (the kept alerts, and the one of an alert still open, not collected again until it closes), written with
 * the reservoir; the next attempt runs without them. Every release is logged with who asked and what was released
 * (the plant's record of who said which alerts were false); refusals are logged at most a line per interval.
 */
import type { CommandOutcome } from '../ops/re-anchors.ts';
import type { VigilLogger } from '../ops/logger.ts';
import type { OperatorCommand, OperatorCommands } from '../ops/sensor-commands.ts';
import { rateLimitedWarning } from '../util/rate-limited-warning.ts';
import type { Adaptation } from './adaptation.ts';

/** `commands` (got anew on each call, so it is the one in force), with `release` answered from `adaptation`'s reservoir. */
export function withCanaryRelease(commands: () => OperatorCommands, adaptation: () => Pick<Adaptation, 'reservoir'> | undefined, log: VigilLogger): OperatorCommands {
  const refusals = rateLimitedWarning(log, (count, byKey) => [{ count, refusals: byKey }, `${count} release command(s) refused (${Object.keys(byKey).join('; ')})`]);
  return {
    command(what: OperatorCommand, sensor: string, arg?: unknown, by?: string): CommandOutcome {
      if (what !== 'release') return commands().command(what, sensor, arg, by);
      const out = release(adaptation(), sensor, arg, by ?? 'unknown', log);
      if (!out.ok) refusals.add(`release ${JSON.stringify(sensor)}${by ? ` by ${by}` : ''}: ${out.status} ${out.error}`);
      return out;
    },
    progress: (sensor) => commands().progress(sensor),
  };
}

function release(adaptation: Pick<Adaptation, 'reservoir'> | undefined, sensor: string, arg: unknown, by: string, log: VigilLogger): CommandOutcome {
  if (arg !== undefined) return { ok: false, status: 400, error: `release takes nothing (an empty JSON object), got ${JSON.stringify(arg)}` };
  if (!adaptation) return { ok: false, status: 409, error: 'adaptation is off (adapt.enabled: false): no canaries are kept, nothing to release' };
  const released = adaptation.reservoir().releaseCanaries(sensor);
  if (released.length === 0) {
    const held = [...new Set(adaptation.reservoir().snapshot().canaries.map((c) => c.sensor))];
    return { ok: false, status: 404, error: `sensor ${JSON.stringify(sensor)} has no canary kept (canaries are kept for ${held.length ? held.slice(0, 10).map((s) => JSON.stringify(s)).join(', ') : 'no sensor'}): check the name` };
  }
  const alerts = released.map((c) => ({ from: new Date(c.from).toISOString(), to: c.to === null ? null : new Date(c.to).toISOString(), windows: c.windows.length }));
  const spans = alerts.map((a) => `${a.from}..${a.to ?? 'open'}`).join(', ');
  const message = `sensor ${sensor}: ${released.length} canar${released.length === 1 ? 'y' : 'ies'} released (alerts ${spans}); adaptation no longer has to keep flagging ${released.length === 1 ? 'it' : 'them'}`;
  log.warn({ sensor, by, released: alerts }, `${message}; released by ${by}`);
  return { ok: true, sensor, message };
}
