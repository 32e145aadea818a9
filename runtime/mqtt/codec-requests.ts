/**
 * Publish what a codec asks of the devices, such as a Sparkplug Node Control/Rebirth NCMD: QoS 0 and not retained,
 * as the Sparkplug spec has commands; logged. While the broker is away nothing is sent: the codec asks again on
 * the next message it cannot read, once its interval has passed.
 */
import type { MqttClient } from 'mqtt';
import type { CodecRequest } from '../codecs/codec.ts';
import type { MiniLogger } from './connect.ts';

/** Send one request on `client` (undefined before the first connection); `count` is told `rebirth_requested` or `rebirth_not_sent`. */
export function publishCodecRequest(client: MqttClient | undefined, r: CodecRequest, log: MiniLogger, count?: (event: string) => void): void {
  if (!client?.connected) {
    count?.('rebirth_not_sent');
    log.warn({ topic: r.topic }, `${r.note}; not sent: the broker is not connected`);
    return;
  }
  client.publish(r.topic, Buffer.from(r.payload), { qos: 0, retain: false });
  count?.('rebirth_requested');
  log.info({ topic: r.topic }, r.note);
}
