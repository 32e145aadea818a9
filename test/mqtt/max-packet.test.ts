/**
 * The Maximum Packet Size `vigil run` asks of an MQTT 5 broker (runtime/mqtt/max-packet.ts): a publish far over
 * `source.maxPayloadBytes` is not sent to vigil at all (mqtt.js would have held all of it before the decode stage
 * refused it), while everything vigil accepts, or refuses itself as `too_large`, still arrives. On Mosquitto.
 */
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { clientOptions } from '../../runtime/mqtt/connect.ts';
import { largestIncomingPayload, maxPacketBytes, PUBLISH_OVERHEAD_BYTES } from '../../runtime/mqtt/max-packet.ts';
import { BIRTH_BOUND_FACTOR } from '../../runtime/codecs/sparkplug.ts';
import { MAX_PARTITION_STATE_BYTES } from '../../runtime/fleet/handover.ts';
import { BrokerSchema } from '../../runtime/config/broker.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerAndModel, silent, testConfig, uniquePrefix } from '../ops/harness.ts';
import { watchTopics } from './watch-topics.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const rig = brokerAndModel();

describe('the MQTT 5 Maximum Packet Size of vigil run', () => {
  it('sits above every payload vigil takes: a Sparkplug BIRTH, a fleet partition state, with the longest topic and properties', () => {
    const source = { maxPayloadBytes: 64 * 1024 } as Parameters<typeof largestIncomingPayload>[0]['source'];
    expect(largestIncomingPayload({ source })).toBe(64 * 1024 * BIRTH_BOUND_FACTOR);
    expect(largestIncomingPayload({ source, fleet: { stateHandover: true } as never })).toBe(MAX_PARTITION_STATE_BYTES);
    expect(maxPacketBytes(1000)).toBe(1000 + PUBLISH_OVERHEAD_BYTES);
    expect(PUBLISH_OVERHEAD_BYTES).toBeGreaterThanOrEqual(5 + 2 + 65_535 + 2);
    // Never past what MQTT can say (a 4-byte remaining length).
    expect(maxPacketBytes(1e12)).toBe(268_435_460);
  });

  it('is asked under MQTT 5 only, beside a persistent session expiry', () => {
    const v5 = BrokerSchema.parse({ url: MOSQUITTO, protocolVersion: 5, clean: false, sessionExpirySec: 60 });
    expect(clientOptions(v5, 'x', 5000).properties).toEqual({ sessionExpiryInterval: 60, maximumPacketSize: 5000 });
    expect(clientOptions(BrokerSchema.parse({ url: MOSQUITTO }), 'x', 5000).properties).toBeUndefined();
  });

  it('keeps a publish far over source.maxPayloadBytes from reaching vigil, and refuses one just over it as too_large', async () => {
    const prefix = uniquePrefix('perfpkt');
    const base = testConfig(MOSQUITTO, prefix, rig.model);
    const config = { ...base, broker: { ...base.broker, protocolVersion: 5 as const }, source: { ...base.source, maxPayloadBytes: 1024 } };
    const bound = maxPacketBytes(largestIncomingPayload(config));
    const dead = await watchTopics(MOSQUITTO, `${prefix}/dead/#`);
    const runtime = await startRuntime(config, { logger: silent });
    const pub = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    try {
      const topic = `${prefix}/s1/data`;
      // Far over the bound: the broker keeps it from vigil. Then one over vigil's own limit, which vigil refuses.
      await pub.publishAsync(topic, Buffer.alloc(bound + 1024 * 1024, 0x31), { qos: 1 });
      await pub.publishAsync(topic, Buffer.alloc(2048, 0x31), { qos: 1 });
      await waitFor(() => dead.got.some((m) => m.body.payloadBytes === 2048), 'the 2 KiB payload refused as too_large', 15_000, () => dead.got);
      // The big one was published first: had the broker sent it, it would have been refused (and dead-lettered) first.
      expect(dead.got.map((m) => [m.body.reason, m.body.payloadBytes])).toEqual([['too_large', 2048]]);
    } finally {
      await pub.endAsync();
      await runtime.stop();
      await dead.client.endAsync();
    }
  });
});
