/** Clearing what a test left retained on a shared broker (an empty retained publish); a broker that is gone is no error. */
import mqtt from 'mqtt';

/** Clear the retained message of `topic` on `url`. */
export async function clearRetained(url: string, topic: string): Promise<void> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000 }).catch(() => undefined);
  await c?.publishAsync(topic, '', { retain: true, qos: 1 }).catch(() => {});
  await c?.endAsync().catch(() => {});
}
