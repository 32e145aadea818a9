/**
 * Which vigil this is (config `gateway`, runtime/mqtt/gateway-status.ts): a SCADA probe could not tell a hot standby's
 * alerts from the primary's, and nothing told it that a vigil had gone. Checked on Mosquitto with a plain mqtt.js
 * subscriber: the retained status (online at a start, offline at a stop, the broker's will when the connection is
 * lost), `{gateway}` in the alert topic, and `gateway` in every message the sinks publish.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { anyGatewayTopic, defaultGatewayId, GatewaySchema } from '../../runtime/config/gateway.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import { connectBroker, waitConnected } from '../../runtime/mqtt/connect.ts';
import { gatewayStatus } from '../../runtime/mqtt/gateway-status.ts';
import { clearRetained } from '../ops/retained.ts';
import { watchTopics } from './watch-topics.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { openSinks } from '../../runtime/ops/sinks.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { subscribeAlerts } from '../../simulators/alerts/subscribe.ts';
import { sharedTopic, warnOfTopics } from '../../runtime/ops/topic-warnings.ts';
import { compileTopicTemplate } from '../../runtime/mqtt/topic-template.ts';
import { formatStatus } from '../../simulators/alerts/status.ts';
import type { StatusPayload } from '../../runtime/mqtt/gateway-status.ts';
import { brokerAndModel, capturingLogger, readingJson, recordedSeries, silent, testConfig, uniquePrefix, WINDOW } from '../ops/harness.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const rig = brokerAndModel();

const watch = (filter: string) => watchTopics(MOSQUITTO, filter);

/** Clear a retained message (an empty retained publish). */
const clear = (topic: string) => clearRetained(MOSQUITTO, topic);

describe('the gateway section', () => {
  it('defaults to the host name made one topic level, and refuses an id that is not one', () => {
    expect(defaultGatewayId('gw-7.plant.example')).toBe('gw-7');
    expect(defaultGatewayId('')).toBe('vigil');
    expect(GatewaySchema.parse({}).statusTopic).toBe('vigil/status/{gateway}');
    // Any gateway's status under the template, one level for {gateway}: never a reading, whatever a source filter covers.
    const status = anyGatewayTopic(GatewaySchema.parse({ id: 'a', statusTopic: 'plant/{gateway}/status' }).statusTopic)!;
    expect(['plant/a/status', 'plant/gw-9/status'].map(status)).toEqual([true, true]);
    expect(['plant/a/status/x', 'plant/a/b/status', 'plant/a/data', 'plant/status'].map(status)).toEqual([false, false, false, false]);
    expect(() => GatewaySchema.parse({ id: 'a/b' })).toThrow(/one topic level/);
    expect(() => GatewaySchema.parse({ statusTopic: 'st/{gw}' })).toThrow(/no placeholder but \{gateway\}/);
    expect(() => RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, alerts: { topic: 'a/{gateway}/{sensr}' } })).toThrow(/no placeholder but \{sensor\} or \{gateway\}/);
    // What any gateway publishes under a template is no reading: the whole template, each placeholder one level.
    const alerts = anyGatewayTopic('plant/{gateway}/alerts/{sensor}')!;
    expect(['plant/a/alerts/s1', 'plant/gw-9/alerts/x', 'plant/a/data', 'plant/a/alerts', 'plant/p1/data', 'plant/a/alerts/x/y'].map(alerts)).toEqual([true, true, false, false, false, false]);
    // {sensor} first no longer takes the readings beside it (a review: cut at the first placeholder, `plant/{sensor}/alert`
    // ignored every `plant/pump-1/data`).
    expect(['plant/p1/alert', 'plant/p1/data'].map(anyGatewayTopic('plant/{sensor}/alert')!)).toEqual([true, false]);
    expect(['p1/alerts', 'p1/data', 'a/b/alerts'].map(anyGatewayTopic('{sensor}/alerts')!)).toEqual([true, false, false]);
    expect(['vigil/deadletter/bad_json', 'vigil/deadletterx', 'vigil/x'].map(anyGatewayTopic('vigil/deadletter/{reason}')!)).toEqual([true, false, false]);
    expect(['a.b/gw', 'axb/gw', 'a.b/gw/x'].map(anyGatewayTopic('a.b/{gateway}')!)).toEqual([true, false, false]);
    expect(anyGatewayTopic(null)).toBeUndefined();
    // Where an output template can name a reading topic (`plant/pump-1/data` is gateway pump-1's alert for a sensor
    // `data`), the start says so, with a topic both name; a source under # or of another shape is not warned of.
    const warned = (source: string, alertsTopic: string) => {
      const lines: string[] = [];
      warnOfTopics(RunConfigSchema.parse({ model: 'm', source: { topics: [source] }, broker: { url: 'mqtt://h' } }).source, [compileTopicTemplate(source)], { warn: (_f: unknown, m: string) => lines.push(m) } as never, { 'alerts.topic': alertsTopic });
      return lines;
    };
    expect(warned('plant/{sensor}/data', 'plant/{gateway}/{sensor}')).toEqual(["source.topics 'plant/{sensor}/data' and alerts.topic 'plant/{gateway}/{sensor}' can name the same topics (plant/x/data): vigil takes such a topic for its own output (any gateway's) and does not read it; give alerts.topic a prefix of its own"]);
    expect(warned('plant/{sensor}/data', 'plant/{gateway}/alerts/{sensor}')).toEqual([]);
    expect(warned('plant/#', 'plant/{gateway}/{sensor}')).toEqual([]);
    expect(sharedTopic('a/+/c', 'a/b/#')).toBe('a/b/c');
    expect(sharedTopic('a/+', 'a/+/c')).toBeUndefined();
    // Dead letters: {reason} and {gateway}, no wildcard.
    expect(RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: 'mqtt://h' }, deadLetter: { topic: 'd/{gateway}/{reason}' } }).deadLetter.topic).toBe('d/{gateway}/{reason}');
    expect(() => RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, deadLetter: { topic: 'd/{gw}/{reason}' } })).toThrow(/no placeholder but \{reason\} or \{gateway\}/);
    expect(() => RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, deadLetter: { topic: 'd/+/{reason}' } })).toThrow(/without \+ or # wildcards/);
  });
});

describe('a gateway on the broker', () => {
  it('says online (retained) when it starts and offline when it stops', async () => {
    const prefix = uniquePrefix('gwstatus');
    const cfg = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-a', statusTopic: `${prefix}/status/{gateway}` } });
    const w = await watch(`${prefix}/status/#`);
    try {
      const handle = await startRuntime(cfg, { logger: silent });
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      await handle.stop();
      await waitFor(() => w.got.some((m) => m.body.state === 'offline'), 'offline', 5000);
      expect(w.got.map((m) => [m.topic, m.body.state, m.body.gateway, m.body.cause])).toEqual([
        [`${prefix}/status/gw-a`, 'online', 'gw-a', undefined],
        [`${prefix}/status/gw-a`, 'offline', 'gw-a', 'stopped'],
      ]);
      expect(w.got[0].body).toMatchObject({ schema: 'vigil-status/1', since: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
      // A consumer that arrives later reads the last state, retained.
      const late = await watch(`${prefix}/status/#`);
      await waitFor(() => late.got.length === 1, 'the retained status', 5000);
      expect(late.got[0]).toMatchObject({ retain: true, body: { state: 'offline', cause: 'stopped' } });
      await late.client.endAsync();
    } finally {
      await w.client.endAsync();
      await clear(`${prefix}/status/gw-a`);
    }
  });

  it('vigil alerts shows each gateway\'s status beside the alerts: the one standing (retained) and each change', async () => {
    const prefix = uniquePrefix('gwshow');
    const cfg = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-e', statusTopic: `${prefix}/status/{gateway}` } });
    const handle = await startRuntime(cfg, { logger: silent });
    const client = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    const seen: { p: StatusPayload; retained: boolean }[] = [];
    const invalid: string[] = [];
    try {
      // Subscribed after the start: the online status is the retained one.
      const stop = await subscribeAlerts(client, [`${prefix}/alerts/#`, `${prefix}/status/+`], { onAlert: () => {}, onStatus: (p, _t, retained) => seen.push({ p, retained }), onInvalid: (_t, why) => invalid.push(why) });
      await waitFor(() => seen.length === 1, 'the standing status', 5000);
      expect(seen[0]).toMatchObject({ retained: true, p: { gateway: 'gw-e', state: 'online' } });
      expect(formatStatus(seen[0].p)).toMatch(/^\d\d:\d\d:\d\d  ONLINE  gateway gw-e  since \S+ \S+  \(session [0-9a-f]+\)$/);
      await handle.stop();
      await waitFor(() => seen.length === 2, 'offline', 5000);
      expect(seen[1]).toMatchObject({ retained: false, p: { gateway: 'gw-e', state: 'offline', cause: 'stopped' } });
      expect(formatStatus(seen[1].p)).toContain('OFFLINE  gateway gw-e  stopped');
      expect(formatStatus({ ...seen[1].p, cause: 'connection lost', since: undefined })).toContain("connection lost (the broker's will: it vanished without a goodbye)");
      // A retained will says nothing of when it was sent.
      expect(formatStatus({ ...seen[1].p, cause: 'connection lost', since: undefined }, { retained: true })).toMatch(/^retained, sent at an unknown time  OFFLINE/);
      // Cleared (an empty retained publish): nothing to show, and nothing unreadable either.
      await clear(`${prefix}/status/gw-e`);
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toHaveLength(2);
      expect(invalid).toEqual([]);
      await stop();
    } finally {
      await client.endAsync();
      await clear(`${prefix}/status/gw-e`);
    }
  });

  it('reads readings beside a {gateway} alert topic, and ignores only its own alerts and status (a review: 0 windows scored); its dead letters name it', async () => {
    const prefix = uniquePrefix('gwtopics');
    // Alerts, dead letters and readings share the prefix: cut at {gateway}, the alert topic (and then the dead letters')
    // took every reading for vigil's own output.
    const cfg = testConfig(MOSQUITTO, prefix, rig.model, { alerts: { topic: `${prefix}/{gateway}/alerts/{sensor}` }, deadLetter: { topic: `${prefix}/{gateway}/dead/{reason}` }, gateway: { id: 'gw-d', statusTopic: `${prefix}/{gateway}/status` } });
    const dead = await watch(`${prefix}/+/dead/#`);
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    try {
      const rec = recordedSeries(40, 2100);
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/p1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
      await waitFor(() => handle.counters.scored === 40 - WINDOW + 1, 'every window scored', 10_000, () => ({ scored: handle.counters.scored }));
      // Its own status is not a reading (no rejection for it).
      expect(handle.edge.rejected.size).toBe(0);
      // An unreadable message is set aside under the gateway's own dead-letter topic, and the letter names the gateway.
      await pub.publishAsync(`${prefix}/p1/data`, '{', { qos: 1 });
      await waitFor(() => dead.got.length === 1, 'a dead letter', 5000);
      expect(dead.got[0].topic).toBe(`${prefix}/gw-d/dead/bad_json`);
      expect(Object.entries(dead.got[0].body)[0]).toEqual(['gateway', 'gw-d']);
    } finally {
      await handle.stop();
      await pub.endAsync();
      await dead.client.endAsync();
      await clear(`${prefix}/gw-d/status`);
    }
  });

  it('leaves its offline status with the broker as a will: a connection lost without a goodbye (kill -9) says so', async () => {
    const prefix = uniquePrefix('gwwill');
    const g = GatewaySchema.parse({ id: 'gw-b', statusTopic: `${prefix}/status/{gateway}` });
    const w = await watch(`${prefix}/status/#`);
    const cfg = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: MOSQUITTO, reconnect: { minMs: 60_000, maxMs: 60_000 } } });
    const said = gatewayStatus(g);
    const client = connectBroker(cfg.broker, undefined, 'broker', said.will);
    client.on('error', () => {});
    try {
      await waitConnected(client, 5000);
      said.start(client);
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      // The socket is gone, no DISCONNECT sent: what a kill -9 or a cut cable leaves the broker with.
      client.stream.destroy();
      await waitFor(() => w.got.some((m) => m.body.state === 'offline'), 'the will', 5000);
      expect(w.got.find((m) => m.body.state === 'offline')!.body).toEqual({ schema: 'vigil-status/1', gateway: 'gw-b', state: 'offline', session: said.session, cause: 'connection lost' });
      // The client reconnects (its backoff's first step may be quick) and says online again.
      await waitFor(() => w.got.at(-1)!.body.state === 'online', 'online again', 5000);
    } finally {
      client.end(true);
      await w.client.endAsync();
      await clear(`${prefix}/status/gw-b`);
    }
  });

  it("answers another run's offline with online (a twin's stop, a will delivered late) and says when another vigil claims its id", async () => {
    const prefix = uniquePrefix('gwtwin');
    const topic = `${prefix}/status/gw-e`;
    const w = await watch(`${prefix}/status/#`);
    const { lines, logger } = capturingLogger('warn');
    const cfg = testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-e', statusTopic: `${prefix}/status/{gateway}` } });
    const handle = await startRuntime(cfg, { logger });
    const twin = await mqtt.connectAsync(MOSQUITTO, { reconnectPeriod: 0 });
    try {
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      const ours = w.got[0].body.session;
      // A second vigil with the same id says online, then stops.
      await twin.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-e', state: 'online', session: 'twin' }), { retain: true, qos: 1 });
      await waitFor(() => lines.some((l) => /another vigil says it is gateway gw-e/.test(String(l.msg))), 'the warning', 5000);
      await twin.publishAsync(topic, JSON.stringify({ schema: 'vigil-status/1', gateway: 'gw-e', state: 'offline', session: 'twin', cause: 'stopped' }), { retain: true, qos: 1 });
      await waitFor(() => w.got.at(-1)!.body.state === 'online' && w.got.at(-1)!.body.session === ours, 'online again', 5000);
      // What a late subscriber reads: this run, online.
      const late = await watch(topic);
      await waitFor(() => late.got.length === 1, 'the retained status', 5000);
      expect(late.got[0].body).toMatchObject({ state: 'online', session: ours });
      await late.client.endAsync();
    } finally {
      await handle.stop();
      await Promise.all([twin.endAsync(), w.client.endAsync()]);
      await clear(topic);
    }
  });

  it('names itself in every alert and signal, and fills {gateway} in the alert topic', async () => {
    const prefix = uniquePrefix('gwalert');
    const cfg = RunConfigSchema.parse({ model: 'm', source: { topics: ['x/{sensor}'] }, broker: { url: MOSQUITTO }, gateway: { id: 'gw-c', statusTopic: null }, alerts: { topic: `${prefix}/{gateway}/alerts/{sensor}` }, state: { file: null } });
    const w = await watch(`${prefix}/#`);
    const client = connectBroker(cfg.broker);
    await waitConnected(client, 5000);
    const sinks = openSinks(client, cfg, silent, createEdgeCounters(), () => ({ name: 'm', version: '1' }));
    const open: AlertEvent = { type: 'open', sensor: 's1', tsFirst: 0, tsLast: 1000, score: 3, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'cpu' };
    sinks.alert(open);
    sinks.silence({ type: 'silent', sensor: 's1', lastHeardAt: 1000, quietMs: 70_000, usualMs: 1000 });
    expect(await sinks.drain(5000)).toBe(true);
    await waitFor(() => w.got.length === 2, 'the alert and the signal', 5000);
    expect(w.got.map((m) => [m.topic, m.body.type, m.body.gateway])).toEqual([
      [`${prefix}/gw-c/alerts/s1`, 'open', 'gw-c'],
      [`${prefix}/gw-c/alerts/s1`, 'silent', 'gw-c'],
    ]);
    await sinks.close();
    await Promise.all([client.endAsync(), w.client.endAsync()]);
  });
});
