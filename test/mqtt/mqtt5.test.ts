/**
 * MQTT 5 at the edges (issue 17.12): alerts carry content type, payload format indicator, message expiry and user
 * properties (model, version, severity), checked on what a raw mqtt.js v5 subscriber receives from Mosquitto; a
 * message's content type picks its codec (JSON and Sparkplug B on one topic template); over MQTT 3.1.1 (aedes)
 * the same alerts go out without properties.
 */
import { describe, expect, it } from 'vitest';
import mqtt, { type IPublishPacket } from 'mqtt';
import { Subject } from 'rxjs';
import { get as getSparkplug } from 'sparkplug-payload';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { alertSeverity } from '../../runtime/mqtt/alert-payload.ts';
import { createCodec, DEFAULT_TIMESTAMP, isRejected, kindForContentType } from '../../runtime/codecs/index.ts';
import { injectSpike, readingJson, brokerAndModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from '../ops/harness.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const spb = getSparkplug('spBv1.0')!;
const rig = brokerAndModel();

describe('content type -> codec', () => {
  it('keeps the configured codec unless the content type names one that cannot read it', () => {
    expect(kindForContentType(undefined, 'json')).toBeUndefined();
    expect(kindForContentType('application/json', 'json')).toBeUndefined();
    expect(kindForContentType('application/json', 'json-array')).toBeUndefined();
    expect(kindForContentType('Application/JSON; charset=utf-8', 'sparkplug')).toBe('json');
    expect(kindForContentType('application/x-sparkplug-b', 'json')).toBe('sparkplug');
    expect(kindForContentType('application/protobuf', 'csv')).toBe('sparkplug');
    expect(kindForContentType('text/csv', 'json')).toBe('csv');
    expect(kindForContentType('image/png', 'json')).toBeUndefined();
  });

  it('decodes a Sparkplug payload on a JSON codec when its content type says so, and says so when it fails', () => {
    const ctx = { channels: ['value'], timestamp: DEFAULT_TIMESTAMP };
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, ctx);
    const now = Date.UTC(2024, 0, 1);
    const sp = spb.encodePayload({ timestamp: now - 1000, metrics: [{ name: 'value', type: 'Double', value: 2.5 }] });
    const where = { sensor: 's' };
    const r = codec.decode({ topic: 'p/s/data', payload: sp, receivedAt: now, contentType: 'application/x-sparkplug-b' }, where);
    expect(r).toEqual([{ sensor: 's', ts: now - 1000, values: { value: 2.5 }, receivedAt: now }]);
    const bad = codec.decode({ topic: 'p/s/data', payload: new TextEncoder().encode('{"value":1}'), receivedAt: now, contentType: 'application/x-sparkplug-b' }, where);
    expect(isRejected(bad) && bad.detail).toMatch(/chosen by content type application\/x-sparkplug-b/);
    // Without the content type the JSON codec reads it, so the same bytes are bad JSON.
    expect(isRejected(codec.decode({ topic: 'p/s/data', payload: sp, receivedAt: now }, where))).toBe(true);
    const off = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0, byContentType: false }, ctx);
    expect(isRejected(off.decode({ topic: 'p/s/data', payload: sp, receivedAt: now, contentType: 'application/x-sparkplug-b' }, where))).toBe(true);
  });

  it('grades severity by how far the score passes the threshold', () => {
    expect(alertSeverity({ type: 'open', score: 1.5, threshold: 1 })).toBe('warning');
    expect(alertSeverity({ type: 'open', score: 2, threshold: 1 })).toBe('critical');
    expect(alertSeverity({ type: 'close', score: 0.1, threshold: 1 })).toBe('clear');
  });
});

/** Alerts under `prefix` with the packet they came in. */
async function listen(url: string, prefix: string, protocolVersion: 4 | 5) {
  const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 });
  const packets = new Subject<IPublishPacket>();
  client.on('message', (_t, _p, packet) => packets.next(packet));
  await client.subscribeAsync(`${prefix}/alerts/+`, { qos: 1 });
  return { client, packets };
}

describe('vigil run over MQTT 5 (Mosquitto)', () => {
  it('alerts carry MQTT 5 properties; JSON and Sparkplug readings share a topic by content type', async () => {
    const prefix = uniquePrefix('mqtt5');
    const cfg = testConfig(MOSQUITTO, prefix, rig.model, { alerts: { topic: `${prefix}/alerts/{sensor}`, closeM: 3, messageExpirySec: 600 } });
    Object.assign(cfg.broker, { protocolVersion: 5 });
    cfg.gateway.id = 'gw-mqtt5';
    const handle = await startRuntime(cfg, { logger: silent });
    const sub = await listen(MOSQUITTO, prefix, 5);
    const pub = await mqtt.connectAsync(MOSQUITTO, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const rec = recordedSeries(60, 1100);
      const spiked = injectSpike(rec.values, 40, 6 * recordedStd());
      const jsonAlert = within(sub.packets, 10_000, 'the alert of the JSON sensor', (p) => p.topic.endsWith('/json-1'));
      const spAlert = within(sub.packets, 10_000, 'the alert of the Sparkplug sensor', (p) => p.topic.endsWith('/sp-1'));
      for (let i = 0; i < rec.ts.length; i++) {
        await pub.publishAsync(`${prefix}/json-1/data`, readingJson(rec.ts[i], spiked[i]), { qos: 1, properties: { contentType: 'application/json' } });
        const sp = spb.encodePayload({ timestamp: rec.ts[i], metrics: [{ name: 'value', type: 'Double', value: spiked[i] }] });
        await pub.publishAsync(`${prefix}/sp-1/data`, Buffer.from(sp), { qos: 1, properties: { contentType: 'application/x-sparkplug-b' } });
      }
      const [j, s] = await Promise.all([jsonAlert, spAlert]);
      expect(handle.edge.rejected.size).toBe(0);
      for (const packet of [j, s]) {
        const alert = JSON.parse(packet.payload.toString());
        expect(alert).toMatchObject({ type: 'open', tsLast: rec.ts[40], model: { name: 'daily' } });
        const props = packet.properties!;
        expect(props).toMatchObject({ contentType: 'application/json', payloadFormatIndicator: true });
        // Mosquitto forwards the time left of the 600 s.
        expect(props.messageExpiryInterval).toBeGreaterThan(590);
        expect(props.messageExpiryInterval).toBeLessThanOrEqual(600);
        // The gateway too (a hot standby's alerts are told apart without parsing), in the JSON right after the schema.
        expect(props.userProperties).toEqual({ model: 'daily', version: alert.model.version, weights: alert.model.weights, severity: alert.severity, gateway: 'gw-mqtt5' });
        expect(Object.keys(alert).slice(0, 3)).toEqual(['schema', 'gateway', 'type']);
        expect(alert.model.weights).toMatch(/^[0-9a-f]{12}$/);
        expect(['warning', 'critical']).toContain(alert.severity);
      }
    } finally {
      await handle.stop();
      await sub.client.endAsync();
      await pub.endAsync();
    }
  });
});

describe('vigil run over MQTT 3.1.1 (aedes)', () => {
  it('alerts go out as before, without properties', async () => {
    const prefix = uniquePrefix('mqtt311');
    const handle = await startRuntime(testConfig(rig.broker.url, prefix, rig.model), { logger: silent });
    const sub = await listen(rig.broker.url, prefix, 4);
    const pub = await mqtt.connectAsync(rig.broker.url, { reconnectPeriod: 0 });
    try {
      const rec = recordedSeries(60, 1100);
      const spiked = injectSpike(rec.values, 40, 6 * recordedStd());
      const alert = within(sub.packets, 10_000, 'the alert');
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/json-1/data`, readingJson(rec.ts[i], spiked[i]), { qos: 1 });
      const packet = await alert;
      expect(JSON.parse(packet.payload.toString())).toMatchObject({ type: 'open', sensor: 'json-1', tsLast: rec.ts[40] });
      expect(packet.properties).toBeUndefined();
      expect(handle.edge.alertsPublished + handle.counters.alertsOpened).toBeGreaterThan(0);
    } finally {
      await handle.stop();
      await sub.client.endAsync();
      await pub.endAsync();
    }
  });
});
