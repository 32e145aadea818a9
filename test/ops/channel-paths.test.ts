/**
 * Nested payloads through `vigil run` (issue 17.13): a model trained on channel `value` scores a Tasmota device
 * publishing `{"Time": ..., "AM2301": {"Temperature": ...}}` via `source.channels`, without retraining; a payload
 * of another shape is dead-lettered as missing_path; a mapping naming no model channel stops the start.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { WINDOW, injectSpike, brokerAndModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const rig = brokerAndModel();

/** Tasmota's tele/<topic>/SENSOR payload: local time without a zone (read as UTC), one object per sensor. */
const tasmota = (ts: number, t: number) => JSON.stringify({ Time: new Date(ts).toISOString().slice(0, 19), AM2301: { Temperature: t, Humidity: 40.2 }, TempUnit: 'C' });

const config = (prefix: string, channels: Record<string, string>) =>
  testConfig(rig.broker.url, prefix, rig.model, {
    source: { topics: [`${prefix}/tele/{sensor}/SENSOR`], qos: 1, channels, timestamp: { field: 'Time' } },
  });

describe('source.channels through vigil run', () => {
  it('scores a Tasmota payload under the model channel and dead-letters one without the path', async () => {
    const prefix = uniquePrefix('tasmota');
    const handle = await startRuntime(config(prefix, { value: 'AM2301.Temperature' }), { logger: silent });
    const pub = await mqtt.connectAsync(rig.broker.url);
    try {
      const rec = recordedSeries(60, 900);
      const values = injectSpike(rec.values, 40, 6 * recordedStd());
      const opened = within(handle.alerts, 5000, 'the alert from the nested payload', (a) => a.type === 'open');
      const last = within(handle.verdicts, 5000, 'the last verdict', (v) => v.tsLast === rec.ts[59]);
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/tele/th-1/SENSOR`, tasmota(rec.ts[i], values[i]), { qos: 1 });
      expect(await opened).toMatchObject({ sensor: 'th-1', tsLast: rec.ts[40] });
      await last;
      expect(handle.counters.scored).toBe(60 - WINDOW + 1);
      expect(handle.edge.rejected.size).toBe(0);

      const rejected = within(handle.rejected, 5000, 'the dead letter');
      await pub.publishAsync(`${prefix}/tele/th-1/SENSOR`, JSON.stringify({ Time: '2024-01-01T00:00:00', DS18B20: { Temperature: 20 } }), { qos: 1 });
      expect(await rejected).toMatchObject({ reason: 'missing_path', detail: expect.stringContaining("maps 'value' to 'AM2301.Temperature', but the payload has no 'AM2301'") });
      expect(handle.edge.rejected.get('missing_path')).toBe(1);
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('refuses to start when a mapped name is not a model channel', async () => {
    const prefix = uniquePrefix('tasmota-bad');
    await expect(startRuntime(config(prefix, { temperature: 'AM2301.Temperature' }), { logger: silent })).rejects.toThrow(
      "source.channels: 'temperature' is not a channel of the model (model channels: value)",
    );
  });
});
