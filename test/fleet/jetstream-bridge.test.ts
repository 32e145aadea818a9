/**
 * The MQTT -> JetStream bridge on a private Mosquitto and nats-server: every QoS 1 reading lands once in the
 * readings stream on its partition's subject (the workers' partitionOf), readings sent across a nats-server
 * restart (store kept) all arrive (the bridge reconnects and retries with the PUBACK held), a message sent again
 * after a bridge crash is recognised by its Nats-Msg-Id and not stored twice, and sensor ids that are not one
 * subject token round-trip through the escaping.
 */
import mqtt from 'mqtt';
import { DeliverPolicy } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../runtime/fleet/partition.ts';
import { JetStreamFleetSchema } from '../../runtime/fleet/jetstream/config.ts';
import { openFleetNats, type FleetNats } from '../../runtime/fleet/jetstream/streams.ts';
import { jetStreamBridge } from '../../runtime/fleet/jetstream/bridge.ts';
import { sensorOfToken, sensorToken } from '../../runtime/fleet/jetstream/subjects.ts';
import { hasNatsServer, startNatsServer, type TestNatsServer } from '@vigil/fixtures/nats-server.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const P = 8;

describe('sensor ids as subject tokens', () => {
  it('escapes dots, wildcards, spaces and non-ASCII and decodes them back', () => {
    for (const s of ['pump-1', 'line.3.pump', 'a*b>c', 'tank 7', 'Kühler_5', '%41']) {
      const t = sensorToken(s);
      expect(t).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(sensorOfToken(t)).toBe(s);
    }
    expect(sensorOfToken('a.b')).toBeUndefined();
    expect(sensorOfToken('%zz')).toBeUndefined();
  });
});

describe.skipIf(!hasNatsServer)('vigil fleet bridge --jetstream (Mosquitto -> nats-server)', () => {
  let server: TestNatsServer;
  let mosq: TestMosquitto;
  let nats: FleetNats;
  beforeAll(async () => {
    server = await startNatsServer();
    mosq = await startMosquitto();
    nats = await openFleetNats(JetStreamFleetSchema.parse({ servers: server.url }), 'line-1', 'bridge-test');
  }, 30_000);
  afterAll(async () => {
    await nats?.close();
    await mosq?.close();
    await server?.stop();
  });

  it('stores each reading once on its partition subject, acknowledging only what JetStream stored', async () => {
    const sensors = Array.from({ length: 20 }, (_, i) => `dev.${i}`);
    const bridgeClient = await mqtt.connectAsync(mosq.url, { clientId: 'bridge', clean: false });
    const bridge = await jetStreamBridge(bridgeClient, nats.js, { from: 'sensors/{sensor}/data', partitions: P, names: nats.names, retryMs: 50 });
    const pub = await mqtt.connectAsync(mosq.url, { clientId: 'pub' });
    const send = (round: number) => Promise.all(sensors.map((s) => pub.publishAsync(`sensors/${s}/data`, JSON.stringify({ ts: round, values: { a: round } }), { qos: 1 })));
    for (let r = 0; r < 5; r++) await send(r);
    await waitFor(() => bridge.stats.stored === 100, '100 stored', 10_000, () => bridge.stats);

    // nats-server restarted (kill -9, store kept): the bridge reconnects and retries; nothing is lost.
    await server.restart();
    for (let r = 5; r < 8; r++) await send(r);
    await waitFor(() => bridge.stats.stored === 160, '160 stored after the restart', 20_000, () => bridge.stats);

    // The same message again (what the broker sends after a bridge crash before the PUBACK): not stored twice.
    await pub.publishAsync('sensors/dev.0/data', JSON.stringify({ ts: 7, values: { a: 7 } }), { qos: 1 });
    await waitFor(() => bridge.stats.duplicates === 1, 'the repeat recognised', 10_000, () => bridge.stats);

    const c = await nats.js.consumers.get('VIGIL_READINGS', { filterSubjects: 'vigil.readings.>', deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    const seen: string[] = [];
    for await (const m of await c.fetch({ max_messages: 1000, expires: 1000 })) {
      const w = nats.names.parse(m.subject)!;
      expect(w.partition).toBe(partitionOf(w.sensor, P));
      seen.push(`${w.sensor}@${(JSON.parse(m.string()) as { ts: number }).ts}`);
      if (m.info.pending === 0) break;
    }
    expect(seen).toHaveLength(160);
    expect(new Set(seen).size).toBe(160);
    await bridge.stop();
    await pub.endAsync();
    await bridgeClient.endAsync();
  }, 60_000);
});
