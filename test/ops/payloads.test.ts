/**
 * Payload codecs end to end through `vigil run` on aedes: Sparkplug B DDATA on the standard topic layout, and
 * bare numbers with the channel in the topic, each raising the alert at the right window.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { get as getSparkplug } from 'sparkplug-payload';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { injectSpike, brokerAndModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const rig = brokerAndModel();

const spb = getSparkplug('spBv1.0')!;

describe('payload codecs through vigil run', () => {
  it('reads Sparkplug B DDATA metrics (aliases from DBIRTH) and names the sensor from the topic', async () => {
    const group = uniquePrefix('spb').replaceAll('/', '_');
    const cfg = testConfig(rig.broker.url, 'unused', rig.model, {
      source: { topics: [`spBv1.0/${group}/+/{node}/{device}`], qos: 1, codec: { kind: 'sparkplug' }, sensorId: '{node}.{device}' },
      alerts: { topic: `${group}/alerts/{sensor}`, closeM: 3 },
    });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(rig.broker.url);
    try {
      const rec = recordedSeries(60, 700);
      const values = injectSpike(rec.values, 40, 6 * recordedStd());
      const opened = within(handle.alerts, 5000, 'the Sparkplug alert', (a) => a.type === 'open');
      const topic = (type: string) => `spBv1.0/${group}/${type}/edge1/pump7`;
      await pub.publishAsync(topic('DBIRTH'), Buffer.from(spb.encodePayload({ timestamp: rec.ts[0] - 1000, metrics: [{ name: 'value', alias: 1, type: 'Double', value: values[0] }] })), { qos: 1 });
      for (let i = 0; i < rec.ts.length; i++) {
        const payload = spb.encodePayload({ timestamp: rec.ts[i], seq: i % 256, metrics: [{ alias: 1, type: 'Double', value: values[i] }] });
        await pub.publishAsync(topic('DDATA'), Buffer.from(payload), { qos: 1 });
      }
      const a = await opened;
      expect(a).toMatchObject({ sensor: 'edge1.pump7', tsLast: rec.ts[40] });
      expect(handle.edge.rejected.size).toBe(0);
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('joins bare numbers by timestamp, channel from the topic', async () => {
    const prefix = uniquePrefix('num');
    const cfg = testConfig(rig.broker.url, prefix, rig.model, { source: { topics: [`${prefix}/{sensor}/{channel}`], qos: 1, codec: { kind: 'number' } } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(rig.broker.url);
    try {
      const rec = recordedSeries(60, 800);
      const values = injectSpike(rec.values, 45, -6 * recordedStd());
      const opened = within(handle.alerts, 5000, 'the alert from bare numbers', (a) => a.type === 'open');
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/fan-2/value`, `${rec.ts[i]},${values[i]}`, { qos: 1 });
      expect(await opened).toMatchObject({ sensor: 'fan-2', tsLast: rec.ts[45] });
      const rejected = within(handle.rejected, 5000, 'the rejected unknown channel');
      await pub.publishAsync(`${prefix}/fan-2/volts`, '1', { qos: 1 });
      await rejected;
      expect(handle.edge.rejected.get('no_known_channels')).toBe(1);
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
  });
});
