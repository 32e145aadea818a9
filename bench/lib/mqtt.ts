/** The bench publishers' and subscribers' MQTT connection: mqtt.js as is, Nagle off so small messages leave at once. */
import mqtt, { type MqttClient } from 'mqtt';

/** Connect to `url` as `clientId` and turn Nagle off on the socket (mqtt.js has no option for it). */
export async function connectNoDelay(url: string, clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId });
  (client.stream as unknown as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  return client;
}
