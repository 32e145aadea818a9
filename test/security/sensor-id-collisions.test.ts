/**
 * Two different topics never map to one sensor: empty levels are refused (`plant//ab/data` is not
 * `plant/a/b/data`), parts are joined by a separator that the part before it may not contain (`a.b` + `c`
 * is not `a` + `b.c`), and formats that glue parts together are refused when the config is read.
 */
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { createCodec, decode, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { defineConfig } from '../../runtime/config/load.ts';
import { compileTopicTemplate, sharedIdTemplates, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import { RunConfigSchema } from '../../runtime/config/schema.ts';
import { warnOfTopics } from '../../runtime/ops/topic-warnings.ts';
import type { RawMessage, Rejected } from '../../runtime/stream/types.ts';

const T = 'plant/{site}/{device}/data';

describe('sensor id collisions', () => {
  it('an empty level is refused, so plant//ab/data and plant/a/b/data cannot share a sensor', () => {
    for (const format of [undefined, '{site}.{device}', '{site}-{device}', 'x:{site}.{device}']) {
      const t = compileTopicTemplate(T, format);
      expect(t.match('plant//ab/data'), String(format)).toMatchObject({ reason: 'bad_sensor_id', error: expect.stringMatching(/empty \{site\} level/) });
      expect(t.match('plant/ab//data'), String(format)).toMatchObject({ reason: 'bad_sensor_id', error: expect.stringMatching(/empty \{device\} level/) });
      expect(t.match('plant/a/b/data'), String(format)).not.toHaveProperty('error');
    }
    expect(compileTopicTemplate('s/+/+/d').match('s//x/d')).toMatchObject({ reason: 'bad_sensor_id', error: expect.stringMatching(/empty '\+' \(level 2\)/) });
    expect(compileTopicTemplate('s/{sensor}/{channel}').match('s/p1/')).toMatchObject({ reason: 'bad_sensor_id', error: expect.stringMatching(/empty \{channel\}/) });
  });

  it('site a.b + device c and site a + device b.c cannot both become a.b.c', () => {
    const t = compileTopicTemplate(T);
    expect(t.match('plant/a/b.c/data')).toEqual({ sensor: 'a.b.c' });
    expect(t.match('plant/a.b/c/data')).toMatchObject({ reason: 'bad_sensor_id', error: expect.stringMatching(/\{site\} level 'a\.b' contains '\.'.*\{device\}/) });
    const dashed = compileTopicTemplate(T, '{site}-{device}');
    expect(dashed.match('plant/north/pump-7/data')).toEqual({ sensor: 'north-pump-7' });
    expect(dashed.match('plant/no-rth/pump/data')).toMatchObject({ reason: 'bad_sensor_id' });
    // Anonymous '+' levels join the same way.
    expect(compileTopicTemplate('s/+/+/d').match('s/a.b/c/d')).toMatchObject({ reason: 'bad_sensor_id' });
  });

  it('formats that would glue parts or add topic levels are refused when the config is read', () => {
    expect(() => compileTopicTemplate(T, '{site}{device}')).toThrow(/\{site\} and \{device\} need a separator between them, e.g. '\{site\}\.\{device\}'/);
    expect(() => compileTopicTemplate(T, '{site}/{device}')).toThrow(/may only use/);
    const base = { model: 'm', broker: { url: 'mqtt://127.0.0.1:1883' } };
    expect(() => defineConfig({ ...base, source: { topics: [T], sensorId: '{site}{device}' } })).toThrow(/source\.sensorId: .*need a separator/);
  });

  it('no two accepted topics give one id (5,000 seeded topics per format from a collision-prone alphabet)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const level = () => Array.from({ length: Math.floor(rand() * 4) }, () => 'ab.-:'[Math.floor(rand() * 5)]).join('');
    for (const format of [undefined, '{site}.{device}', '{site}-{device}', '{site}::{device}', 'g.{site}-{device}.x']) {
      const t = compileTopicTemplate(T, format);
      const owner = new Map<string, string>();
      let accepted = 0;
      for (let i = 0; i < 5_000; i++) {
        const topic = `plant/${level()}/${level()}/data`;
        const r = t.match(topic);
        if ('error' in r) continue;
        accepted++;
        const prev = owner.get(r.sensor);
        if (prev !== undefined) expect(prev, `${String(format)}: '${prev}' and '${topic}' both give '${r.sensor}'`).toBe(topic);
        owner.set(r.sensor, topic);
      }
      expect(accepted, String(format)).toBeGreaterThan(250);
    }
  });

  it('templates that differ only in fixed levels and name sensors alike are found (a probe: Sparkplug behind a bridge prefix merged with the local node)', () => {
    const id = '{group}:{node}:{device}';
    const local = compileTopicTemplate('spBv1.0/{group}/{type}/{node}/{device}', id);
    const bridged = compileTopicTemplate('site-3/spBv1.0/{group}/{type}/{node}/{device}', id);
    const nodes = compileTopicTemplate('spBv1.0/{group}/{type}/{node}', id);
    expect(local.match('spBv1.0/g/DDATA/n/d')).toMatchObject({ sensor: 'g:n:d' });
    expect(bridged.match('site-3/spBv1.0/g/DDATA/n/d')).toMatchObject({ sensor: 'g:n:d' });
    expect(sharedIdTemplates([local, bridged, nodes]).map(([a, b]) => [a.template, b.template])).toEqual([[local.template, bridged.template]]);
    // Node-level ids ({group}:{node}) never equal device ids: the documented Sparkplug pair is not reported.
    expect(sharedIdTemplates([local, nodes])).toEqual([]);
    expect(sharedIdTemplates([compileTopicTemplate('a/{sensor}/x'), compileTopicTemplate('b/{sensor}/y')])).toHaveLength(1);
    // One device's topics (Tasmota's tele/{sensor}/SENSOR and .../STATE) differ after the part: not reported (a review).
    expect(sharedIdTemplates([compileTopicTemplate('tele/{sensor}/SENSOR'), compileTopicTemplate('tele/{sensor}/STATE')])).toEqual([]);
    expect(sharedIdTemplates([compileTopicTemplate('{sensor}/a'), compileTopicTemplate('{sensor}/b')])).toEqual([]);
    expect(sharedIdTemplates([compileTopicTemplate('a/{site}/{device}'), compileTopicTemplate('a/{device}')])).toEqual([]);
  });

  it('a named part the sensor ids leave out is warned of at start (a probe: cell1/comp-1 and cell2/comp-1 fed one window, every alert open, unsaid)', () => {
    const warned = (topics: string[], sensorId?: string, kind = 'json') => {
      const lines: string[] = [];
      const source = RunConfigSchema.parse({ model: 'm', broker: { url: 'mqtt://h' }, source: { topics, sensorId, codec: { kind } } }).source;
      warnOfTopics(source, topics.map((t) => compileTopicTemplate(t, sensorId)), { warn: (_f: unknown, m: string) => lines.push(m) } as never);
      return lines;
    };
    const t = compileTopicTemplate('plant/{cell}/{sensor}/tele');
    expect(t.match('plant/cell1/comp-1/tele')).toEqual(t.match('plant/cell2/comp-1/tele'));
    expect(warned(['plant/{cell}/{sensor}/tele'])).toEqual([
      "source.topics 'plant/{cell}/{sensor}/tele' names {cell}, which its sensor ids ({sensor}) leave out: topics that differ only there are one sensor, their readings merged into one window; if they are different devices, put it in source.sensorId, e.g. '{cell}.{sensor}'",
    ]);
    expect(warned(['plant/{cell}/{sensor}/tele'], '{cell}-{sensor}')).toEqual([]);
    expect(warned(['plant/{site}/{device}/data'])).toEqual([]);
    expect(warned(['s/{sensor}/{channel}'], undefined, 'number')).toEqual([]);
    expect(warned(['sensors/{partition}/{sensor}/data'])).toEqual([]);
    // Sparkplug's message type level is left out on purpose (a device's BIRTH and DATA are one sensor).
    expect(warned(['spBv1.0/{group}/{type}/{node}/{device}', 'spBv1.0/{group}/{type}/{node}'], '{group}:{node}:{device}', 'sparkplug')).toEqual([]);
  });

  it('the decode stage counts such topics as bad_sensor_id rejections (dead-lettered by the runtime)', () => {
    const rejected: Rejected[] = [];
    // Small 1970 timestamps, as the other decode tests use: source.timestamp.notBefore lowered.
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { channels: ['v'], timestamp: { ...DEFAULT_TIMESTAMP, notBefore: 0 } });
    const op = decode({ codec, route: topicRouter([compileTopicTemplate(T)]), maxPayloadBytes: 1024, onRejected: (r) => rejected.push(r) });
    const raw = (topic: string): RawMessage => ({ topic, payload: new TextEncoder().encode('{"ts":1000,"v":1}'), receivedAt: 5000 });
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const src = cold('abc|', { a: raw('plant//ab/data'), b: raw('plant/a.b/c/data'), c: raw('plant/a/b.c/data') });
      expectObservable(src.pipe(op)).toBe('--c|', { c: { sensor: 'a.b.c', ts: 1_000_000, values: { v: 1 }, receivedAt: 5000 } });
    });
    expect(rejected.map((r) => [r.reason, r.topic])).toEqual([
      ['bad_sensor_id', 'plant//ab/data'],
      ['bad_sensor_id', 'plant/a.b/c/data'],
    ]);
  });
});
