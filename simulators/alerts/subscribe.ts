/**
 * The example alert subscriber: subscribe to the alert topics, parse each message, hand events to a callback.
 * A sensor's invalid-reading signals (`type: "invalid"`) go to `onSignal`, its silence signals (`silent`, `resumed`)
 * to `onSilence`, each skipped without its handler. Messages that are
 * not alerts are reported once per reason, never fatal.
 */
import type { MqttClient } from 'mqtt';
import { alertProblem, invalidProblem, silenceProblem, type AlertMessage, type InvalidPayload } from './format.ts';
import type { SilencePayload } from '@vigil/runtime/mqtt/alert-payload.ts';
import { isStatusMessage, statusProblem, type StatusPayload } from './status.ts';

/** What a subscription reports. */
export interface AlertHandlers {
  /** `retained`: the topic's retained message, handed over at the subscription (sent earlier, maybe long before). */
  onAlert(alert: AlertMessage, topic: string, retained: boolean): void;
  /** A sensor's invalid-reading signal; absent: such messages are skipped (not reported as invalid). */
  onSignal?(signal: InvalidPayload, topic: string, retained: boolean): void;
  /** A sensor gone silent or back (`type: "silent"` / `"resumed"`); absent: such messages are skipped. */
  onSilence?(signal: SilencePayload, topic: string, retained: boolean): void;
  /** A gateway's status (`vigil-status/1`: online, offline); absent: such messages are skipped. */
  onStatus?(status: StatusPayload, topic: string, retained: boolean): void;
  onInvalid?(topic: string, reason: string): void;
}

/**
 * Subscribe `client` to `topic` (a filter, or several: the alerts' and the gateways' status; QoS 1, so no alert is
 * missed across a reconnect); returns an unsubscribe.
 */
export async function subscribeAlerts(client: MqttClient, topic: string | string[], h: AlertHandlers): Promise<() => Promise<void>> {
  const onMessage = (t: string, payload: Buffer, packet: { retain?: boolean }) => {
    const retained = packet.retain === true;
    // An empty publish clears a retained topic (a gateway's status taken away): nothing to show.
    if (payload.length === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      h.onInvalid?.(t, `payload is not JSON (${payload.length} bytes); expected a vigil-alert/1 object`);
      return;
    }
    if (isStatusMessage(parsed)) {
      const bad = statusProblem(parsed);
      if (bad) h.onInvalid?.(t, `${bad}; expected a vigil-status/1 message`);
      else h.onStatus?.(parsed as StatusPayload, t, retained);
      return;
    }
    const type = (parsed as { type?: unknown } | null)?.type;
    if (type === 'silent' || type === 'resumed') {
      const bad = silenceProblem(parsed);
      if (bad) h.onInvalid?.(t, `${bad}; expected a vigil-alert/1 silence signal`);
      else h.onSilence?.(parsed as SilencePayload, t, retained);
      return;
    }
    if (type === 'invalid') {
      const bad = invalidProblem(parsed);
      if (bad) h.onInvalid?.(t, `${bad}; expected a vigil-alert/1 invalid-reading signal`);
      else h.onSignal?.(parsed as InvalidPayload, t, retained);
      return;
    }
    const problem = alertProblem(parsed);
    if (problem) h.onInvalid?.(t, `${problem}; expected a vigil-alert/1 object`);
    else h.onAlert(parsed as AlertMessage, t, retained);
  };
  client.on('message', onMessage);
  await client.subscribeAsync(topic, { qos: 1 });
  return async () => {
    client.off('message', onMessage);
    await client.unsubscribeAsync(topic).catch(() => {});
  };
}
