/**
 * A gateway's status with a persistent session (`broker.clean: false`, runtime/mqtt/gateway-status.ts): online once per
 * start, whether the last run stopped (its offline is not queued back to the next) or crashed (the broker's will,
 * queued on the session while it was away, is not answered), while a twin's offline is still answered; and the last
 * run's own online, queued behind a backlog it never read, is no twin. On Mosquitto.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { clearRetained } from '../ops/retained.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerAndModel, capturingLogger, readingJson, recordedSeries, silent, testConfig, uniquePrefix, WINDOW } from '../ops/harness.ts';
import { watchTopics } from './watch-topics.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const rig = brokerAndModel();
const watch = (filter: string) => watchTopics(MOSQUITTO, filter);
const clear = (topic: string) => clearRetained(MOSQUITTO, topic);

describe('a gateway with a persistent session', () => {
  it('says online once per start with a persistent session: its stop is not queued back to the next run, which answered it with a second online', async () => {
    const prefix = uniquePrefix('gwpersist');
    const clientId = `${prefix.replace(/\W/g, '-')}-gw`;
    const cfg = (stateFile?: string) => {
      const c = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-p', statusTopic: `${prefix}/status/{gateway}` } });
      return { ...c, broker: { ...c.broker, clientId, clean: false }, state: { ...c.state, file: stateFile ?? c.state.file } };
    };
    const first = cfg();
    const w = await watch(`${prefix}/status/#`);
    try {
      const a = await startRuntime(first, { logger: silent });
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      await a.stop();
      await waitFor(() => w.got.some((m) => m.body.state === 'offline'), 'offline', 5000);
      const b = await startRuntime(cfg(first.state.file ?? undefined), { logger: silent });
      await waitFor(() => w.got.length >= 3, 'online again', 5000);
      await new Promise((r) => setTimeout(r, 500));
      await b.stop();
      await waitFor(() => w.got.length >= 4, 'offline again', 5000);
      expect(w.got.map((m) => m.body.state)).toEqual(['online', 'offline', 'online', 'offline']);
    } finally {
      await w.client.endAsync();
      await clear(`${prefix}/status/gw-p`);
      // The session left on the shared broker, ended.
      await (await mqtt.connectAsync(MOSQUITTO, { clientId, clean: true, reconnectPeriod: 0 })).endAsync();
    }
  });

  it('says online once after a crash with a persistent session: the will the broker queued for it while it was away is not answered', async () => {
    // A probe: kill -9 of a vigil with `broker.clean: false`; the broker published its will and queued it on the
    // session, still subscribed; the next run got it after its own online and said ONLINE a second time.
    const prefix = uniquePrefix('gwcrash');
    const clientId = `${prefix.replace(/\W/g, '-')}-gw`;
    const topic = `${prefix}/status/gw-k`;
    const c = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-k', statusTopic: `${prefix}/status/{gateway}` } });
    const cfg = { ...c, broker: { ...c.broker, clientId, clean: false } };
    // The crashed run's session: subscribed to its status topic, gone without an unsubscribe.
    const crashed = await mqtt.connectAsync(MOSQUITTO, { clientId, clean: false, reconnectPeriod: 0 });
    await crashed.subscribeAsync(topic, { qos: 1 });
    await crashed.endAsync();
    // Its will, published by the broker while nobody held the session: retained, and queued for the session.
    const broker = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    await broker.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-k', state: 'offline', session: 'crashed', cause: 'connection lost' }), { retain: true, qos: 1 });
    const w = await watch(`${prefix}/status/#`);
    try {
      await waitFor(() => w.got.length === 1, 'the retained will', 5000);
      const b = await startRuntime(cfg, { logger: silent });
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      await new Promise((r) => setTimeout(r, 1000));
      // A twin's offline after its online is still answered.
      await broker.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-k', state: 'offline', session: 'twin', cause: 'stopped' }), { retain: true, qos: 1 });
      await waitFor(() => w.got.filter((m) => m.body.state === 'online').length >= 2, 'the twin answered', 5000);
      await b.stop();
      await waitFor(() => w.got.at(-1)!.body.cause === 'stopped' && w.got.at(-1)!.body.session !== 'twin', 'offline', 5000);
      expect(w.got.map((m) => [m.body.state, m.body.session === 'crashed' || m.body.session === 'twin' ? m.body.session : 'ours'])).toEqual([
        ['offline', 'crashed'], ['online', 'ours'], ['offline', 'twin'], ['online', 'ours'], ['offline', 'ours'],
      ]);
    } finally {
      await Promise.all([w.client.endAsync(), broker.endAsync()]);
      await clear(topic);
      await (await mqtt.connectAsync(MOSQUITTO, { clientId, clean: true, reconnectPeriod: 0 })).endAsync();
    }
  });

  it("takes the last run's online, queued behind readings it never read, for no twin: only an online after its own is another vigil", async () => {
    // A probe: SIGTERM (or kill -9) while QoS 1 intake was held behind a backlog; that run's online, published at its start,
    // was still queued on the session behind the readings, and the next run, once it had scored them, warned of another
    // vigil with its gateway id: a twin that did not exist, and a config change asked for that was not needed.
    const prefix = uniquePrefix('gwbacklog');
    const clientId = `${prefix.replace(/\W/g, '-')}-gw`;
    const topic = `${prefix}/status/gw-q`;
    const c = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-q', statusTopic: `${prefix}/status/{gateway}` } });
    const cfg = { ...c, broker: { ...c.broker, clientId, clean: false } };
    // The stopped run's session: subscribed to readings and to its status, with a backlog, then its own online behind it.
    const last = await mqtt.connectAsync(MOSQUITTO, { clientId, clean: false, reconnectPeriod: 0 });
    await last.subscribeAsync([`${prefix}/+/data`, topic], { qos: 1 });
    await last.endAsync();
    const pub = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    const rec = recordedSeries(400, 2100);
    for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/p1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
    await pub.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-q', state: 'online', session: 'last', since: new Date().toISOString() }), { retain: true, qos: 1 });
    const { lines, logger } = capturingLogger('warn');
    const twinWarnings = () => lines.filter((l) => /another vigil says it is gateway gw-q/.test(String(l.msg)));
    const b = await startRuntime(cfg, { logger });
    try {
      await waitFor(() => b.counters.scored === rec.ts.length - WINDOW + 1, 'the backlog scored', 20_000, () => ({ scored: b.counters.scored }));
      await new Promise((r) => setTimeout(r, 500));
      expect(twinWarnings()).toEqual([]);
      // A vigil that says online after this one did is still another one.
      await pub.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-q', state: 'online', session: 'twin', since: new Date().toISOString() }), { retain: true, qos: 1 });
      await waitFor(() => twinWarnings().length === 1, 'the twin said', 5000);
      expect(twinWarnings()[0]).toMatchObject({ theirs: 'twin' });
    } finally {
      await b.stop();
      await pub.endAsync();
      await clear(topic);
      await (await mqtt.connectAsync(MOSQUITTO, { clientId, clean: true, reconnectPeriod: 0 })).endAsync();
    }
  });
});
