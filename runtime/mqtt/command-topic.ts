/**
 * Operators' commands over MQTT (`gateway.commandTopic`, off by default): the commands of runtime/ops/commands.ts
 * for an HMI or SCADA button that publishes rather than calls HTTP. A message on the topic,
 * `{"sensor": "pump-1", "command": "normal", "windows": 16, "id": "hmi-42"}` (`command`: `normal`, `trained`,
 * `maintenance` with `"minutes": N`, or `release`, runtime/adapt/release-canaries.ts; `windows`, `minutes` and `id` optional), runs the command (runtime/ops/re-anchors.ts) and is answered on `TOPIC/reply`
 * (QoS 1, not retained): `{"schema": "vigil-command-reply/1", "gateway", "id", "ok", "sensor", "windows",
 * "message"}`, or `"ok": false` with `"status"` (as the HTTP answer's) and `"error"`.
 *
 * Who may send them is the broker's ACL: anyone who can publish on the topic can silence a sensor (docs/run.md). A
 * message delivered as retained (one left on the topic before vigil subscribed) is refused, answered and logged: a
 * command applies once, when it is sent, and a retained one would apply again at every start (a sensor marked normal
 * months later, at whatever level it was then). One published retained while vigil listens reaches it unflagged, as
 * MQTT delivers it to live subscribers: sent now, it runs. Commands sent while vigil is away are not queued for it
 * (subscribed at QoS 0): the sender gets no reply, and sends again.
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import { z } from 'zod';
import type { CommandOutcome } from '../ops/re-anchors.ts';
import { commandArg, type OperatorCommand } from '../ops/sensor-commands.ts';
import type { VigilLogger } from '../ops/logger.ts';
import { replyTopic } from '../config/gateway.ts';
import { subscriptionsRefused } from './source.ts';

/** What a command message holds. */
const CommandMessage = z.object({
  sensor: z.string().min(1).max(512),
  command: z.enum(['normal', 'trained', 'maintenance', 'release']),
  windows: z.unknown().optional(),
  minutes: z.unknown().optional(),
  id: z.string().max(200).optional(),
});

/**
 * The `id` a message refused as malformed gave (a string, as the schema asks), so its sender can tell which command
 * failed: an HMI matches replies by id, and one without it leaves the refused command waiting for an answer.
 */
function idGiven(body: unknown): string | undefined {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= 200 ? id : undefined;
}

/** Listen for commands on `topic` until `stop()`. */
export function listenCommands(
  client: MqttClient, topic: string, gateway: string,
  run: (what: OperatorCommand, sensor: string, arg: unknown, by: string) => CommandOutcome, log: VigilLogger,
): { stop(): void } {
  // QoS 0: a broker queues QoS 1 messages for a persistent session (broker.clean false) while vigil is away, and a
  // command sent then would run at the next start, hours late, unflagged (a review); at QoS 0 it is not queued.
  const subscribe = () => client.subscribe(topic, { qos: 0 }, (err, granted) => {
    for (const [, reason] of subscriptionsRefused([topic], err, granted)) log.error({ topic, reason }, `gateway.commandTopic ${topic}: subscription refused; no command reaches vigil`);
  });
  const reply = (id: string | undefined, out: CommandOutcome | { ok: false; status: number; error: string }) =>
    client.publish(replyTopic(topic), JSON.stringify({ schema: 'vigil-command-reply/1', gateway, ...(id !== undefined && { id }), ...out }), { qos: 1 }, () => {});
  const heard = (t: string, payload: Buffer, packet: IPublishPacket) => {
    // An empty message clears a retained one: nothing to run.
    if (t !== topic || payload.length === 0) return;
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      body = undefined;
    }
    const msg = CommandMessage.safeParse(body);
    const id = msg.success ? msg.data.id : undefined;
    if (!msg.success) {
      const error = `expected {"sensor": NAME, "command": "normal", "trained", "maintenance" or "release", "windows"?: N (normal), "minutes"?: N (maintenance), "id"?: TEXT}: ${body === undefined ? 'not JSON' : msg.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`;
      log.warn({ topic, error }, 'command refused');
      return reply(idGiven(body), { ok: false, status: 400, error });
    }
    if (packet.retain) {
      const error = 'a retained command is refused: a command applies once, when it is sent, not at every start (clear it: publish an empty retained message on the topic)';
      log.warn({ topic, sensor: msg.data.sensor, command: msg.data.command }, error);
      return reply(id, { ok: false, status: 400, error });
    }
    const given = commandArg(msg.data.command, msg.data);
    if ('error' in given) return reply(id, { ok: false, status: 400, error: given.error });
    reply(id, run(msg.data.command, msg.data.sensor, given.arg, `mqtt ${topic}${id !== undefined ? ` id ${id}` : ''}`));
  };
  client.on('message', heard);
  // Once: mqtt.js subscribes again after a reconnection by itself (another subscription of ours would have the broker
  // deliver a retained command twice).
  subscribe();
  return {
    stop() {
      client.off('message', heard);
    },
  };
}
