/**
 * Alert events in the log: one line each (its payload, unredacted: logger.ts) up to `log.alertLines` a minute, the
 * rest summed into one warning line a minute (runtime/util/rate-limited-warning.ts) that says how many of each type,
 * on which sensors, and where they all are. A soak's alert storm wrote 909 alert lines, 0.83 MB: wear on a gateway's
 * SD card and noise that buries the line an operator needs. Nothing is lost: every event still goes to the alert
 * topic, the webhook and the dashboard, and is counted; only its log line is summed. The `alerts` fields of all
 * summary lines add up to exactly the events not logged one by one.
 */
import type { AlertEvent } from '../stream/types.ts';
import type { AlertPayload } from '../mqtt/alert-payload.ts';
import { INCOMPLETE_TEXT, markText } from '../alerts/alert-lines.ts';
import { rateLimitedWarning, realClock, type WarningClock } from '../util/rate-limited-warning.ts';
import { windowBudget } from '../util/window-budget.ts';
import type { RunConfig } from '../config/schema.ts';
import { unredacted, type VigilLogger } from './logger.ts';

/** The budget's window, and the least time between two summary lines (ms). */
export const ALERT_LOG_INTERVAL_MS = 60_000;

/** The alert log: `write` each event as it is published, `flush` at the stop to log what is still unsummed. */
export interface AlertLog {
  write(a: AlertEvent, payload: AlertPayload): void;
  flush(): void;
}

/** The words of a type in the summary. */
const VERB: Record<AlertEvent['type'], string> = { open: 'opened', escalate: 'escalated', close: 'closed' };

/** Why an alert closed unresolved, in the log line's words. */
const UNRESOLVED_TEXT: Record<NonNullable<AlertEvent['unresolved']>, string> = {
  silent: 'its sensor silent for window.idleEvictMs',
  evicted: 'vigil stopped watching its sensor, evicted to make room for a new one (window.maxSensors over all pools)',
};

/** `alert open: pump-1 score 9.1 > 1.2`: one event's own line. */
export function alertLine(a: AlertEvent, payload: Pick<AlertPayload, 'score' | 'threshold'>): string {
  // An open is a score over its bar; a close, the quiet window that ended the alert, is under it.
  const how = a.unresolved
    ? ` unresolved: ${UNRESOLVED_TEXT[a.unresolved]} (peak score ${payload.score}, threshold ${payload.threshold})`
    : ` score ${payload.score} ${a.score > a.threshold ? '>' : '<='} ${payload.threshold}${a.marked ? `, after ${markText(a.marked)}` : ''}${a.incomplete ? `, ${INCOMPLETE_TEXT}` : ''}`;
  return `alert ${a.type}: ${a.sensor}${how}`;
}

/** Log alert events to `log`, `config.alertLines` a minute one by one, the rest summed. */
export function alertLog(log: VigilLogger, config: Pick<RunConfig['log'], 'alertLines'>, clock: WarningClock = realClock): AlertLog {
  const lines = config.alertLines;
  const budget = windowBudget(lines, ALERT_LOG_INTERVAL_MS);
  // Per type since the last summary; the limiter sums per sensor.
  const types = new Map<AlertEvent['type'], number>();
  const summary = rateLimitedWarning(
    log,
    (count, bySensor, sensors) => {
      const byType = Object.fromEntries(types);
      types.clear();
      const split = Object.entries(byType).map(([t, n]) => `${VERB[t as AlertEvent['type']]} ${n}`).join(', ');
      const shown = Object.keys(bySensor);
      const named = `${sensors === 1 ? 'sensor' : 'sensors'} ${shown.join(', ')}${sensors > shown.length ? `, ... (${sensors} in all)` : ''}`;
      return [
        { alerts: count, types: byType, sensors: bySensor, sensorCount: sensors },
        `alerts: ${count} more event(s) not logged one by one (${split}; ${named}), over log.alertLines (${lines} a minute); each is on its sensor's alert topic and the dashboard, and counted (vigil_alerts_opened_total, _escalated_total, _closed_total)`,
      ];
    },
    ALERT_LOG_INTERVAL_MS,
    clock,
  );
  // An alert line holds vigil's own payload, none of the redacted keys (logger.ts).
  const full = unredacted(log);
  return {
    write(a, payload) {
      if (budget.take(clock.now())) {
        full.info({ alert: payload }, alertLine(a, payload));
        return;
      }
      types.set(a.type, (types.get(a.type) ?? 0) + 1);
      summary.add(a.sensor);
    },
    flush: summary.flush,
  };
}
