/** A plain mqtt.js subscriber that keeps every message under a filter (retained ones first), parsed, with its topic and retain flag. */
import mqtt from 'mqtt';

export async function watchTopics(url: string, filter: string) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const got: { topic: string; retain: boolean; body: Record<string, unknown> }[] = [];
  client.on('message', (topic, p, packet) => p.length && got.push({ topic, retain: packet.retain, body: JSON.parse(p.toString()) }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}
