/**
 * The gateway's own state on the broker (config `gateway.statusTopic`, runtime/config/gateway.ts): a retained
 * `vigil-status/1` message, `online` at every connection, `offline` at a stop, and the same `offline` left with the
 * broker as the connection's will, so an alarm system that supervises its gateways sees one vanish (a kill -9, a
 * power cut) as it sees one stop, within the keepalive.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { GatewayConfig } from '../config/gateway.ts';

/** The version tag of a status message. */
export const STATUS_SCHEMA = 'vigil-status/1';

/** A status message. */
export interface StatusPayload {
  schema: typeof STATUS_SCHEMA;
  gateway: string;
  state: 'online' | 'offline';
  /** When the state began (ISO 8601); absent on the will, which the broker sends when it notices. */
  since?: string;
  /** offline: `stopped` (vigil stopped) or `connection lost` (the broker's will). */
  cause?: 'stopped' | 'connection lost';
}

/** The status topic of a gateway, or undefined when it has none. */
export function statusTopic(g: GatewayConfig): string | undefined {
  return g.statusTopic === null ? undefined : g.statusTopic.replaceAll('{gateway}', g.id);
}

/** The will to connect with: the broker publishes it, retained, if the connection is lost without a goodbye. */
export function statusWill(g: GatewayConfig): IClientOptions['will'] | undefined {
  const topic = statusTopic(g);
  if (!topic) return undefined;
  const payload: StatusPayload = { schema: STATUS_SCHEMA, gateway: g.id, state: 'offline', cause: 'connection lost' };
  return { topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: true };
}

/**
 * Say `online` on `client` now (if connected) and at every reconnection; `offline()` says it (retained, QoS 1) before
 * a stop, and stops saying online. Without a status topic, nothing.
 */
export function gatewayStatus(client: MqttClient, g: GatewayConfig): { offline(): void } {
  const topic = statusTopic(g);
  if (!topic) return { offline: () => {} };
  const say = (state: 'online' | 'offline') => {
    const payload: StatusPayload = { schema: STATUS_SCHEMA, gateway: g.id, state, since: new Date().toISOString(), ...(state === 'offline' ? { cause: 'stopped' as const } : {}) };
    client.publish(topic, JSON.stringify(payload), { qos: 1, retain: true }, () => {});
  };
  const online = () => say('online');
  client.on('connect', online);
  if (client.connected) online();
  return {
    offline() {
      client.off('connect', online);
      if (client.connected) say('offline');
    },
  };
}
