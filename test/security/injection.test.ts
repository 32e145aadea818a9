/**
 * Topic and size hygiene: sensor ids and topic templates cannot inject MQTT wildcards, extra levels or path
 * tricks into alert, dead-letter or fleet topics; payloads, dead letters and alerts are bounded in size. The
 * last test drives hostile topics through a live runtime and checks every topic it publishes on.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../../runtime/codecs/codec.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import { alertPayload, alertTopic } from '../../runtime/mqtt/alert-payload.ts';
import { deadLetter, DEAD_LETTER_PREVIEW_BYTES } from '../../runtime/mqtt/dead-letter.ts';
import { compileTopicTemplate, sensorIdProblem } from '../../runtime/mqtt/topic-template.ts';
import { partitionTopic } from '../../runtime/fleet/partition.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

// Letters of any script are names (pumpe-Überlauf-3); what can fake or break a level is not: a bidi override, a
// zero-width joiner, a combining mark with nothing before it, a non-breaking space.
const HOSTILE = ['+', '#', 'a/b', '..', '../etc', 'a+b', 'x#', '', ' ', '.', '.hidden', '-x', '$SYS', 'a\u0000b', 'a b', 'x'.repeat(129), '%2e%2e', 'a\nb', 'pump\u202E1', 'pu\u200Dmp', '\u0301a', 'a\u00A0b', 'ü/x'];
const SAFE_LEVEL = /^[\p{L}\p{N}][\p{L}\p{N}\p{M}_.:-]{0,127}$/u;

describe('sensor ids and topics', () => {
  it('every hostile sensor id is refused, with a reason', () => {
    for (const id of HOSTILE) expect(sensorIdProblem(id), JSON.stringify(id)).toMatch(/not allowed|path tricks/);
    for (const id of ['pump-1', 'site1.pump_2', 'a:b', 'P'.repeat(128), 'ü', 'pumpe-Überlauf-3', 'насос-1', '泵-7', 'Ü'.repeat(128)]) expect(sensorIdProblem(id), id).toBeUndefined();
  });

  it('alert and fleet topics cannot be built from hostile ids', () => {
    for (const id of HOSTILE) {
      expect(() => alertTopic('vigil/alerts/{sensor}', id)).toThrow(/refusing/);
      expect(() => partitionTopic('sensors/{partition}/{sensor}/data', id, 8)).toThrow();
    }
    expect(alertTopic('vigil/alerts/{sensor}', 'pump-1')).toBe('vigil/alerts/pump-1');
  });

  it('topic templates map hostile levels to no sensor, also through a sensorId format that would add levels', () => {
    const t = compileTopicTemplate('sensors/{sensor}/data');
    for (const level of ['..', '.x', 'a b', '$SYS', '']) expect(t.match(`sensors/${level}/data`)).toMatchObject({ reason: 'bad_sensor_id' });
    // A format that would put '/' into ids, or glue parts together without a separator, is refused up front.
    expect(() => compileTopicTemplate('plant/{site}/{device}/telemetry', '{site}/{device}')).toThrow(/sensorId format '\{site\}\/\{device\}'.*may only use/);
    expect(() => compileTopicTemplate('plant/{site}/{device}/telemetry', '{site}{device}')).toThrow(/need a separator/);
    const dots = compileTopicTemplate('plant/{site}/{device}/telemetry', '{site}.{device}');
    expect(dots.match('plant/./.hidden/telemetry')).toMatchObject({ reason: 'bad_sensor_id' });
    expect(dots.match('plant/a./.b/telemetry')).toMatchObject({ reason: 'bad_sensor_id' });
    expect(() => compileTopicTemplate('sensors/x{sensor}/data')).toThrow(/mixes text and wildcards/);
    expect(() => compileTopicTemplate('sensors/#/data')).toThrow(/must be the last level/);
  });

  it('config refuses wildcards in alert topics, and dead-letter reasons are single safe levels', () => {
    const base = { model: 'm', broker: { url: 'mqtt://127.0.0.1:1883' }, source: { topics: ['s/+/d'] } };
    for (const topic of ['vigil/+/{sensor}', 'vigil/alerts/#', 'a/+']) expect(() => defineConfig({ ...base, alerts: { topic } })).toThrow(/alerts\.topic.*without \+ or #/s);
    for (const r of REJECT_REASONS) expect(r).toMatch(SAFE_LEVEL);
    expect(() => defineConfig({ ...base, broker: { url: 'file:///etc/passwd' } })).toThrow(/broker\.url/);
    expect(() => defineConfig({ ...base, source: { topics: ['s/+/d'], maxPayloadBytes: 1 << 30 } })).toThrow(/maxPayloadBytes/);
  });
});

describe('sizes are bounded', () => {
  it('a dead letter keeps at most a preview of a huge payload', () => {
    const payload = new Uint8Array(4 << 20).fill(0x41);
    const d = deadLetter({ reason: 'too_large', detail: 'x', topic: 't', payload, receivedAt: 0 });
    expect(d.payloadBytes).toBe(4 << 20);
    expect(d.truncated).toBe(true);
    expect(JSON.stringify(d).length).toBeLessThan(DEAD_LETTER_PREVIEW_BYTES * 2 + 500);
  });

  it('an alert for a model with 2,000 channels stays small (top channels capped)', () => {
    const e: AlertEvent = {
      type: 'open',
      sensor: 'pump-1',
      tsFirst: 0,
      tsLast: 1,
      score: 1,
      threshold: 0.5,
      contributors: Array.from({ length: 2000 }, (_, i) => ({ channel: `channel-with-a-long-name-${i}`, share: 1 / 2000 })),
      model: { name: 'm', version: '1' },
      provider: 'ort-node/cpu',
    };
    const p = alertPayload(e);
    expect(p.topChannels).toHaveLength(3);
    expect(JSON.stringify(p).length).toBeLessThan(1024);
  });
});

describe('hostile topics through a live runtime', () => {
  let broker: EmbeddedBroker;
  let dir: string;
  beforeAll(async () => {
    broker = await startBroker();
    dir = mkdtempSync(join(tmpdir(), 'vigil-inject-'));
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes alerts and dead letters only on safe, concrete topics; oversize payloads are refused unread', async () => {
    const model = writeTinyModel(join(dir, 'model'), { window: 4, channels: ['a'], threshold: 2 });
    const handle = await startRuntime(
      defineConfig({
        model,
        broker: { url: broker.url },
        gateway: { id: 'gw-inject' },
        source: { topics: ['plant/{site}/{device}/data'], sensorId: '{site}.{device}', qos: 1, maxPayloadBytes: 4096 },
        metrics: { port: null },
        state: { file: null },
        reload: { watch: false },
      }),
      { logger: createLogger('silent') },
    );
    const spy = await mqtt.connectAsync(broker.url, { clientId: 'inject-spy' });
    const seen: { topic: string; bytes: number }[] = [];
    spy.on('message', (topic, p) => seen.push({ topic, bytes: p.length }));
    await spy.subscribeAsync('vigil/#', { qos: 1 });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'inject-pub' });
    try {
      const spike = (i: number) => JSON.stringify({ ts: 1_700_000_000_000 + i * 1000, values: { a: i === 6 ? 40 : 0 } });
      // Each of these would make a sensor id with a path trick, an empty part or an ambiguous join: all must be dead-lettered.
      // The last two would collide with real sensors: an empty level, and a '.' inside a part joined by '.'.
      const hostile = ['plant/./.hidden/data', 'plant/a./.b/data', 'plant/$SYS/x/data', 'plant/ /x/data', 'plant/a b/c/data', 'plant//s1.pump-7/data', 'plant/s1.pump-7//data', 'plant/s1.x/pump-7/data'];
      for (let i = 0; i < 10; i++) for (const t of hostile) await pub.publishAsync(t, spike(i), { qos: 1 });
      for (let i = 0; i < 10; i++) await pub.publishAsync('plant/s1/pump-7/data', spike(i), { qos: 1 });
      await pub.publishAsync('plant/s1/pump-7/data', Buffer.alloc(1 << 20, 0x7b), { qos: 1 });
      const n = hostile.length * 10 + 11;
      await waitFor(() => handle.edge.messages === n && seen.some((s) => s.topic.startsWith('vigil/alerts/')) && seen.filter((s) => s.topic.startsWith('vigil/deadletter/')).length === hostile.length * 10 + 1, 'every message handled', 20_000, () => ({ messages: handle.edge.messages, seen: seen.length }));
      expect(handle.edge.rejected.get('bad_sensor_id')).toBe(hostile.length * 10);
      expect(handle.edge.rejected.get('too_large')).toBe(1);
      for (const s of seen) {
        const [root, kind, leaf, ...rest] = s.topic.split('/');
        expect(rest, s.topic).toEqual([]);
        expect(root).toBe('vigil');
        // The gateway's own status (vigil/status/gw-inject) besides.
        expect(['alerts', 'deadletter', 'status']).toContain(kind);
        expect(leaf, s.topic).toMatch(SAFE_LEVEL);
        expect(s.bytes).toBeLessThan(4096);
      }
      expect(seen.filter((s) => s.topic.startsWith('vigil/alerts/')).map((s) => s.topic)).toEqual(['vigil/alerts/s1.pump-7']);
    } finally {
      await handle.stop();
      await pub.endAsync();
      await spy.endAsync();
    }
  });

  it('a 60,000-character topic is logged clipped, and dead-lettered whole', async () => {
    const model = writeTinyModel(join(dir, 'model-long'), { window: 4, channels: ['a'], threshold: 2 });
    const lines: string[] = [];
    const file = join(dir, 'long-topic-dead-letters.jsonl');
    const handle = await startRuntime(
      defineConfig({ model, broker: { url: broker.url }, source: { topics: ['plant/{device}/data'], qos: 1 }, deadLetter: { file }, metrics: { port: null }, state: { file: null }, reload: { watch: false } }),
      { logger: createLogger('info', { write: (l: string) => void lines.push(l) }) },
    );
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'inject-long' });
    const topic = `plant/${'x'.repeat(60_000)}/data`;
    try {
      await pub.publishAsync(topic, JSON.stringify({ a: 1 }), { qos: 1 });
      await waitFor(() => handle.edge.rejected.get('bad_sensor_id') === 1, 'the message rejected', 20_000);
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
    const line = lines.find((l) => l.includes('message rejected'))!;
    expect(line).toContain('... (60011 characters)');
    expect(line.length).toBeLessThan(2000);
    expect(readFileSync(file, 'utf8')).toContain(topic);
  });
});
