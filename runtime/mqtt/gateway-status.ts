/**
 * The gateway's own state on the broker (config `gateway.statusTopic`, runtime/config/gateway.ts): a retained
 * `vigil-status/1` message, `online` at every connection, `offline` at a stop, and the same `offline` left with the
 * broker as the connection's will, so an alarm system that supervises its gateways sees one vanish (a kill -9, a
 * power cut) as it sees one stop, within the keepalive.
 *
 * Each run says it with a `session` of its own, and listens on its topic: an `offline` of another session while this
 * one is online (the late will of a connection that died before a restart, or a second vigil with the same gateway id
 * stopping) is answered with `online` again, and an `online` of another session heard after this one's own is said in
 * the log (two vigils with one gateway id: their alerts cannot be told apart). Found by a SCADA probe: a copy with the
 * same id stopping left the running gateway marked offline for good.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { IClientOptions, MqttClient } from 'mqtt';
import { gatewayTopic, type GatewayConfig } from '../config/gateway.ts';
import type { MiniLogger } from './connect.ts';

/** The version tag of a status message. */
export const STATUS_SCHEMA = 'vigil-status/1';

/** A status message, as published and as `vigil alerts` reads it (fields a later version adds pass through). */
export const StatusPayloadSchema = z.looseObject({
  schema: z.literal(STATUS_SCHEMA),
  gateway: z.string().min(1),
  state: z.enum(['online', 'offline']),
  /** The run that says it (random, per start). */
  session: z.string(),
  /** When the state began (ISO 8601); absent on the will, which the broker sends when it notices. */
  since: z.iso.datetime().optional(),
  /** offline: `stopped` (vigil stopped) or `connection lost` (the broker's will). */
  cause: z.enum(['stopped', 'connection lost']).optional(),
});

/** A status message. */
export type StatusPayload = z.infer<typeof StatusPayloadSchema>;

/** The status topic of a gateway, or undefined when it has none. */
export function statusTopic(g: GatewayConfig): string | undefined {
  return g.statusTopic === null ? undefined : gatewayTopic(g.statusTopic, g);
}

/** One run's status: its will to connect with, and `start` once the client exists. */
export function gatewayStatus(g: GatewayConfig, log?: MiniLogger) {
  const topic = statusTopic(g);
  const session = randomBytes(6).toString('hex');
  const message = (state: 'online' | 'offline', cause?: StatusPayload['cause']): StatusPayload => ({
    schema: STATUS_SCHEMA, gateway: g.id, state, session, ...(cause !== 'connection lost' && { since: new Date().toISOString() }), ...(cause && { cause }),
  });
  return {
    session,
    /** The will: the broker publishes it, retained, if the connection is lost without a goodbye. */
    will: (topic ? { topic, payload: Buffer.from(JSON.stringify(message('offline', 'connection lost'))), qos: 1, retain: true } : undefined) as IClientOptions['will'] | undefined,
    /**
     * Say `online` on `client` now (if connected) and at every reconnection, and keep it said; `offline()` says it
     * (retained, QoS 1) before a stop, and stops listening. Without a status topic, nothing.
     */
    start(client: MqttClient): { offline(): void } {
      if (!topic) return { offline: () => {} };
      let stopping = false;
      let toldTwin = 0;
      const say = (p: StatusPayload, done: () => void = () => {}) => client.publish(topic, JSON.stringify(p), { qos: 1, retain: true }, done);
      // Whether the broker has taken this connection's online. Before that, another session's offline was published
      // before it (the broker writes to one socket in order: what it sent ahead of the PUBACK it handled first), so
      // the online replaces it: a will the broker queued on the persistent session while vigil was away (kill -9),
      // answered, said ONLINE twice after every crash restart (a probe). One handled after it is answered.
      let onlineTaken = false;
      // Whether this connection's online has come back on the topic. The broker sends a subscription's messages in the
      // order they were published, so an online of another session heard before it was published before it: the last
      // run's own, queued on a persistent session behind a backlog it never read, which the next run took for a twin
      // (a probe: the warning after every stop behind a backlog). Only an online heard after it is another vigil.
      let ownHeard = false;
      const online = () => {
        onlineTaken = false;
        ownHeard = false;
        say(message('online'), () => (onlineTaken = true));
        client.subscribe(topic, { qos: 1 }, () => {});
      };
      const heard = (t: string, payload: Buffer) => {
        if (t !== topic || stopping || payload.length === 0) return;
        let p: Partial<StatusPayload>;
        try {
          p = JSON.parse(payload.toString()) as Partial<StatusPayload>;
        } catch {
          return;
        }
        if (p.session === session) return void (ownHeard = true);
        if (p.state === 'online' && ownHeard && Date.now() - toldTwin > 30_000) {
          toldTwin = Date.now();
          log?.warn({ gateway: g.id, topic, theirs: p.session, ours: session }, `another vigil says it is gateway ${g.id} (on ${topic}): two gateways with one gateway.id publish alerts nobody can tell apart, and each one's stop marks the other offline; give each its own gateway.id`);
        }
        // Another session's offline (a will delivered late, a twin's stop) must not stand while this one runs.
        if (p.state === 'offline' && client.connected && onlineTaken) say(message('online'));
      };
      client.on('connect', online);
      client.on('message', heard);
      if (client.connected) online();
      return {
        offline() {
          stopping = true;
          client.off('connect', online);
          client.off('message', heard);
          if (!client.connected) return;
          // A persistent session keeps the subscription: the broker would queue this offline for the next run, which
          // would answer it with a second online (an HVAC probe: ONLINE twice in vigil alerts after every restart).
          // Packets are handled in order, so the unsubscribe is done before the offline is published.
          client.unsubscribe(topic, () => {});
          say(message('offline', 'stopped'));
        },
      };
    },
  };
}
