/**
 * The example alert subscriber: subscribe to the alert topics, parse each message, hand events to a callback.
 * A sensor's invalid-reading signals (`type: "invalid"`) go to `onSignal`, skipped without it. Messages that are
 * not alerts are reported once per reason, never fatal.
 */
import type { MqttClient } from 'mqtt';
import { alertProblem, invalidProblem, type AlertMessage, type InvalidPayload } from './format.ts';

/** What a subscription reports. */
export interface AlertHandlers {
  onAlert(alert: AlertMessage, topic: string): void;
  /** A sensor's invalid-reading signal; absent: such messages are skipped (not reported as invalid). */
  onSignal?(signal: InvalidPayload, topic: string): void;
  onInvalid?(topic: string, reason: string): void;
}

/** Subscribe `client` to `topic` (QoS 1, so no alert is missed across a reconnect); returns an unsubscribe. */
export async function subscribeAlerts(client: MqttClient, topic: string, h: AlertHandlers): Promise<() => Promise<void>> {
  const onMessage = (t: string, payload: Buffer) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      h.onInvalid?.(t, `payload is not JSON (${payload.length} bytes); expected a vigil-alert/1 object`);
      return;
    }
    if ((parsed as { type?: unknown } | null)?.type === 'invalid') {
      const bad = invalidProblem(parsed);
      if (bad) h.onInvalid?.(t, `${bad}; expected a vigil-alert/1 invalid-reading signal`);
      else h.onSignal?.(parsed as InvalidPayload, t);
      return;
    }
    const problem = alertProblem(parsed);
    if (problem) h.onInvalid?.(t, `${problem}; expected a vigil-alert/1 object`);
    else h.onAlert(parsed as AlertMessage, t);
  };
  client.on('message', onMessage);
  await client.subscribeAsync(topic, { qos: 1 });
  return async () => {
    client.off('message', onMessage);
    await client.unsubscribeAsync(topic).catch(() => {});
  };
}
