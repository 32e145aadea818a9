/**
 * /health when messages arrive and none becomes a reading: degraded, saying how many came and why they were refused
 * (a probe: a Sparkplug device whose metric names differ from the model's channels, and a node that never answered a
 * rebirth request, each left /health ok with `sensors: 0` for as long as they ran). Once a reading is decoded, the
 * rule steps aside: the silent-sensor watch judges the feed from then on.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { nothingAccepted, nothingHeard, nothingReadable } from '../../runtime/ops/health.ts';
import type { Readability } from '../../runtime/ops/flow.ts';
import { fileBroker } from './aedes.ts';
import { readingJson, recordedModel, recordedSeries, silent, testConfig, uniquePrefix } from './harness.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const broker = fileBroker();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Nothing received, decoded or accepted yet. */
const start: Readability = { firstMessageAt: 0, lastDecodedAt: 0, rejectedSinceDecoded: 0, lastAcceptedAt: 0, accepted: 0, decodedSinceAccepted: 0, firstDecodedSinceAcceptedAt: 0 };

describe('/health: nothing readable', () => {
  it('judges the first window after the first message, then each window without a reading in which messages were refused', () => {
    const edge = { messages: 30, decoded: 0, rejected: new Map([['no_known_channels', 30]]) };
    const never = (firstMessageAt: number) => ({ ...start, firstMessageAt });
    expect(nothingReadable(edge, never(0), 60_000, 100_000)).toBeUndefined(); // no message yet
    expect(nothingReadable(edge, never(50_000), 60_000, 100_000)).toBeUndefined(); // not a whole window of them yet
    expect(nothingReadable(edge, never(40_000), 60_000, 100_000)).toMatchObject({ messages: 30, rejected: { no_known_channels: 30 }, sinceMs: 60_000 });
    // After a reading: only once a whole window passed without one, with messages refused meanwhile (a review: a feed
    // that broke after one good reading stayed ok); messages merely ignored (other devices' chatter) are no sign.
    const after = (lastDecodedAt: number, rejectedSinceDecoded: number) => ({ ...start, firstMessageAt: 1000, lastDecodedAt, rejectedSinceDecoded });
    expect(nothingReadable(edge, after(50_000, 30), 60_000, 100_000)).toBeUndefined();
    expect(nothingReadable(edge, after(40_000, 30), 60_000, 100_000)).toMatchObject({ sinceMs: 60_000, hint: expect.stringContaining('since the last one') });
    expect(nothingReadable(edge, after(40_000, 2), 60_000, 100_000)).toBeUndefined();
  });

  it('judges a start after which not one message arrived (a probe: a template one letter off, /health ok and no word)', () => {
    const none = start;
    expect(nothingHeard(none, 40_000, 60_000, 99_999, ['a/{sensor}'])).toBeUndefined(); // not a whole window since start
    expect(nothingHeard(none, 40_000, 60_000, 100_000, ['a/{sensor}'])).toMatchObject({ messagesReceived: 0, sinceMs: 60_000, topics: ['a/{sensor}'], hint: expect.stringContaining('case-sensitive') });
    expect(nothingHeard({ ...none, firstMessageAt: 99_000 }, 40_000, 60_000, 100_000, ['a/{sensor}'])).toBeUndefined();
  });

  it('judges readings decoded a whole window with none accepted by the window stage (a feed of duplicates)', () => {
    const edge = { messages: 40, decoded: 40 };
    const counters = { duplicates: 39 };
    // One reading accepted at 30 s, then 39 repeats of it, the first at 35 s.
    const repeats = (decodedSinceAccepted: number) => ({ ...start, firstMessageAt: 30_000, lastDecodedAt: 99_000, lastAcceptedAt: 30_000, accepted: 1, decodedSinceAccepted, firstDecodedSinceAcceptedAt: 35_000 });
    expect(nothingAccepted(edge, counters, repeats(39), 60_000, 94_999)).toBeUndefined(); // not a whole window yet
    expect(nothingAccepted(edge, counters, repeats(39), 60_000, 95_000)).toMatchObject({ messagesReceived: 40, readingsDecoded: 40, readingsAccepted: 1, duplicates: 39, sinceMs: 65_000, hint: expect.stringContaining('since the last one') });
    expect(nothingAccepted(edge, counters, repeats(2), 60_000, 95_000)).toBeUndefined(); // too few to say (a slow sensor's reading held)
    expect(nothingAccepted(edge, counters, { ...start, firstMessageAt: 1, lastDecodedAt: 99_000, decodedSinceAccepted: 5, firstDecodedSinceAcceptedAt: 1000 }, 60_000, 95_000)).toMatchObject({ readingsAccepted: 0, sinceMs: 94_000, hint: expect.stringContaining('since start') });
  });

  it('vigil run: degraded while nothing arrives on its topics, ok once a message does', async () => {
    const prefix = uniquePrefix('unheard');
    // 3 reading intervals (300 ms) are under the window: the window (1 s) bounds it.
    const cfg = testConfig(broker.url, prefix, recordedModel(), { health: { dropWindowMs: 1000 }, window: { readingIntervalMs: 100 } });
    const beforeStart = Date.now();
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    try {
      // Ok until a window has passed since the start, which the rule counts from inside startRuntime. A start that took
      // a window itself (a loaded machine, load average 18-21: degraded at this first look) is judged, rightly, and
      // for that alone: nothing heard for at least the window.
      const first = handle.health();
      if (Date.now() - beforeStart < 1000) expect(first).toMatchObject({ status: 'ok', sensors: 0 });
      else if (first.status !== 'ok') {
        expect(first).toMatchObject({ sensors: 0, nothingHeard: { sinceMs: expect.any(Number) } });
        expect((first.nothingHeard as { sinceMs: number }).sinceMs).toBeGreaterThanOrEqual(1000);
      }
      // Published one level off the template: never delivered to vigil.
      await pub.publishAsync(`${prefix}/pump-1/Data`, readingJson(1_700_000_000_000, 1), { qos: 1 });
      await waitFor(() => handle.health().status === 'degraded', 'degraded a window after start with nothing heard', 5000);
      expect(handle.health()).toMatchObject({ sensors: 0, nothingHeard: { topics: [`${prefix}/{sensor}/data`] } });
      const rec = recordedSeries(1);
      await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[0], rec.values[0]), { qos: 1 });
      await waitFor(() => handle.health().status === 'ok', 'ok once a message arrived', 5000);
      expect(handle.health().nothingHeard).toBeUndefined();
    } finally {
      await pub.endAsync();
      await handle.stop();
    }
  });

  it('vigil run in a fleet: a worker whose partitions hold no reporting sensor is not degraded (its templates are right)', async () => {
    const prefix = uniquePrefix('unheard-fleet');
    const start = (id: string) =>
      startRuntime(
        testConfig(broker.url, prefix, recordedModel(), {
          broker: { url: broker.url, clientId: `${id}-${process.pid}`, reconnect: { minMs: 50, maxMs: 500 }, connectTimeoutMs: 5000 },
          health: { dropWindowMs: 1000 },
          window: { readingIntervalMs: 100 },
          fleet: { group: 'unheard', prefix: `${prefix}/fleet`, partitions: 8, heartbeatMs: 100, leaseMs: 1000, settleMs: 200, stateHandover: false },
        }),
        { logger: silent },
      );
    const workers = [await start('w-a'), await start('w-b')];
    const pub = await mqtt.connectAsync(broker.url);
    try {
      await waitFor(() => workers.every((w) => w.fleet!.current().members.length === 2) && workers.reduce((n, w) => n + w.fleet!.current().owned.length, 0) === 8, 'two workers splitting the partitions', 10_000);
      const rec = recordedSeries(40);
      // One sensor: its partition is one worker's; the other hears nothing, as a standby or a worker of quiet partitions does.
      const heard = () => workers.some((w) => w.health().sensors === 1) && workers.every((w) => (w.health().uptimeS as number) >= 2);
      for (let i = 0; i < rec.ts.length && !heard(); i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i]), { qos: 1 });
        await sleep(100);
      }
      expect(heard()).toBe(true);
      const idle = workers.find((w) => w.health().sensors === 0)!;
      expect(idle.health().nothingHeard).toBeUndefined();
      expect(idle.health().status).toBe('ok');
    } finally {
      await pub.endAsync();
      for (const w of workers) await w.stop();
    }
  });

  it('vigil run: degraded while every reading repeats one already accepted (received, none accepted), ok once a new one is', async () => {
    // Duplicates are no drop and decode fine: /health stayed ok with messages arriving and nothing judged.
    const prefix = uniquePrefix('state-duplicates');
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel(), { health: { dropWindowMs: 1000 } }), { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    try {
      const rec = recordedSeries(2);
      const topic = `${prefix}/pump-1/data`;
      await pub.publishAsync(topic, readingJson(rec.ts[0], rec.values[0]), { qos: 1 });
      // A sender resending its buffer: the same reading, over and over.
      for (let i = 0; i < 15; i++) {
        await pub.publishAsync(topic, readingJson(rec.ts[0], rec.values[0]), { qos: 1 });
        await sleep(150);
      }
      await waitFor(() => handle.health().status === 'degraded', 'degraded a window into a feed of duplicates', 5000);
      const h = handle.health();
      expect(h).toMatchObject({ messagesReceived: 16, readingsAccepted: 1, nothingAccepted: { messagesReceived: 16, readingsDecoded: 16, readingsAccepted: 1, duplicates: 15, hint: expect.stringContaining('since the last one') } });
      expect([h.nothingHeard, h.nothingReadable]).toEqual([undefined, undefined]);
      await pub.publishAsync(topic, readingJson(rec.ts[1], rec.values[1]), { qos: 1 });
      await waitFor(() => handle.health().status === 'ok', 'ok once a new reading was accepted', 5000);
      expect(handle.health()).toMatchObject({ messagesReceived: 17, readingsAccepted: 2 });
      expect(handle.health().nothingAccepted).toBeUndefined();
    } finally {
      await pub.endAsync();
      await handle.stop();
    }
  });

  it('vigil run: degraded while every message is refused, ok once one is read', async () => {
    const prefix = uniquePrefix('unreadable');
    const cfg = testConfig(broker.url, prefix, recordedModel(), { health: { dropWindowMs: 1000 } });
    const handle = await startRuntime(cfg, { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    try {
      const rec = recordedSeries(40);
      expect(handle.health()).toMatchObject({ status: 'ok', sensors: 0 });
      // The payloads name another channel than the model's ('value'): each is refused as no_known_channels.
      for (let i = 0; i < 15; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, JSON.stringify({ ts: rec.ts[i], Value: rec.values[i] }), { qos: 1 });
        await sleep(100);
      }
      await waitFor(() => handle.health().status === 'degraded', 'degraded a window after the first unreadable message', 5000);
      const h = handle.health();
      expect(h).toMatchObject({ sensors: 0, nothingReadable: { rejected: { no_known_channels: 15 }, hint: expect.stringContaining('source.channels') } });
      expect((h.nothingReadable as { messages: number }).messages).toBe(15);
      await pub.publishAsync(`${prefix}/pump-1/data`, readingJson(rec.ts[20], rec.values[20]), { qos: 1 });
      await waitFor(() => handle.health().status === 'ok', 'ok once a message became a reading', 5000);
      expect(handle.health().nothingReadable).toBeUndefined();
      // The feed breaks again after that reading: degraded once a window passes with refusals and no reading.
      for (let i = 21; i < 36; i++) {
        await pub.publishAsync(`${prefix}/pump-1/data`, JSON.stringify({ ts: rec.ts[i], Value: rec.values[i] }), { qos: 1 });
        await sleep(100);
      }
      await waitFor(() => handle.health().status === 'degraded', 'degraded again a window after the last reading', 5000);
      expect(handle.health().nothingReadable).toMatchObject({ hint: expect.stringContaining('since the last one') });
    } finally {
      await pub.endAsync();
      await handle.stop();
    }
  });
});
