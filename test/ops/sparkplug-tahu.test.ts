/**
 * Sparkplug B with Eclipse Tahu's Node client (`sparkplug-client`) on Mosquitto, vigil restarted mid-stream
 * (issue 17.11): the edge node publishes NBIRTH/DBIRTH (aliases) and DDATA by alias only; the restarted vigil
 * knows no aliases, so it counts the first DDATA as unknown_alias and publishes a Node Control/Rebirth NCMD; the
 * node's 'ncmd' handler republishes its births and the data is scored again, alerting on the right window.
 */
import { describe, expect, it } from 'vitest';
import { newClient, type UPayload } from 'sparkplug-client';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import { WINDOW, injectSpike, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

describe('Sparkplug B host behaviour with the Tahu client', () => {
  it('asks for a rebirth after a restart and scores the data again', async () => {
    const prefix = uniquePrefix('tahu');
    const group = prefix.split('/')[1];
    const cfg = testConfig(MOSQUITTO, prefix, recordedModel(), {
      source: {
        // The documented layout: device and node levels, sensor id without the message type.
        topics: ['spBv1.0/{group}/{type}/{node}/{device}', 'spBv1.0/{group}/{type}/{node}'],
        sensorId: '{group}:{node}:{device}',
        codec: { kind: 'sparkplug' },
      },
    });
    const sensor = `${group}:edge1:pump7`;
    const rec = recordedSeries(120, 1300);
    const values = injectSpike(rec.values, 100, 6 * recordedStd());
    let current = 0;
    let rebirths = 0;

    let handle: RuntimeHandle = await startRuntime(cfg, { logger: silent });
    const node = newClient({ serverUrl: 'tcp://127.0.0.1:1883', username: '', password: '', groupId: group, edgeNode: 'edge1', clientId: `tahu-${group}`, publishDeath: true });
    const births = () => {
      node.publishNodeBirth({ timestamp: rec.ts[current], metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: false }] });
      node.publishDeviceBirth('pump7', { timestamp: rec.ts[current], metrics: [{ name: 'value', alias: 1, type: 'Double', value: values[current] }] });
    };
    const rebirthAsked = new Promise<void>((resolve) =>
      node.on('ncmd', (p: UPayload) => {
        if (!p.metrics?.some((m) => m.name === 'Node Control/Rebirth' && m.value === true)) return;
        rebirths++;
        births();
        resolve();
      }),
    );
    const data = (i: number) => node.publishDeviceData('pump7', { timestamp: rec.ts[i], metrics: [{ alias: 1, type: 'Double', value: values[i] }] });
    const verdictAt = (h: RuntimeHandle, i: number) => within(h.verdicts, 10_000, `the verdict of row ${i}`, (v) => v.sensor === sensor && v.tsLast === rec.ts[i]);
    try {
      // Before the restart: births (row 0), then rows 1..59 by alias.
      await new Promise<void>((resolve) => node.on('birth', () => (births(), resolve())));
      const first = verdictAt(handle, 59);
      for (current = 1; current < 60; current++) data(current);
      await first;
      expect(handle.counters.scored).toBe(60 - WINDOW + 1);
      await handle.stop();

      // The restarted vigil has no alias table: row 60 cannot be read and triggers the rebirth.
      handle = await startRuntime(cfg, { logger: silent });
      const rejected = within(handle.rejected, 10_000, 'the unknown alias', (r) => r.reason === 'unknown_alias');
      data(60);
      current = 61; // the births answer with row 61
      expect((await rejected).detail).toMatch(/alias 1 has no name.*asked the node to rebirth/);
      await rebirthAsked;
      const opened = within(handle.alerts, 10_000, 'the alert after the rebirth', (a) => a.sensor === sensor && a.type === 'open');
      const last = verdictAt(handle, 119);
      for (current = 62; current < 120; current++) data(current);
      expect(await opened).toMatchObject({ sensor, tsLast: rec.ts[100] });
      await last;
      // Rows 61 (the DBIRTH) to 119 scored, each at once: the window the stop left (rows 44-59) spans the restart;
      // row 60 counted as unknown_alias; one rebirth, no false seq gap.
      expect(handle.counters.scored).toBe(59);
      expect(handle.edge.rejected.get('unknown_alias')).toBe(1);
      expect(rebirths).toBe(1);
      // Counted for /metrics too (vigil_codec_events_total; a probe found them only in the log).
      expect(Object.fromEntries(handle.edge.codecEvents)).toEqual({ rebirth_requested: 1 });
    } finally {
      node.stop();
      await handle.stop();
    }
  }, 30_000);
});

