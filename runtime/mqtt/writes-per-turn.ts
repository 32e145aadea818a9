/**
 * One socket write per event-loop turn of intake, not one per packet. mqtt.js handles each received packet on its
 * own process.nextTick and mqtt-packet corks the socket only until the next tick, so at QoS 1 every message's
 * PUBACK (and an alert published while a chunk is being handled) left in its own writev. Corking the client's
 * stream when a packet arrives and uncorking it in the same turn's check phase (setImmediate) sends everything
 * written while one chunk of the socket was handled in one write. Publishes made outside intake (alerts of an
 * inference batch, all emitted in one synchronous run) are already one write each batch. A QoS 0 delivery is
 * answered by nothing, so it corks nothing: at QoS 0 intake (the default) the cork and the timer per socket chunk
 * bought no write.
 */
import type { MqttClient } from 'mqtt';

/** The part of a stream this needs. */
interface Corkable {
  cork(): void;
  uncork(): void;
  destroyed?: boolean;
}

/** Coalesce the writes of each intake turn of `client`; returns a function that stops doing so. */
export function writesPerTurn(client: MqttClient): () => void {
  let corked: Corkable | undefined;
  const uncork = () => {
    const s = corked;
    corked = undefined;
    s?.uncork();
  };
  const onPacket = (packet: { cmd: string; qos?: number }) => {
    if (corked || (packet.cmd === 'publish' && !packet.qos)) return;
    const s = client.stream as unknown as Partial<Corkable> | undefined;
    if (!s || typeof s.cork !== 'function' || typeof s.uncork !== 'function' || s.destroyed) return;
    s.cork();
    corked = s as Corkable;
    setImmediate(uncork);
  };
  client.on('packetreceive', onPacket);
  return () => {
    client.off('packetreceive', onPacket);
    uncork();
  };
}
