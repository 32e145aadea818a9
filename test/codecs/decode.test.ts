import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { createCodec, decode, DEFAULT_TIMESTAMP } from '../../runtime/codecs/index.ts';
import { compileTopicTemplate, topicRouter } from '../../runtime/mqtt/topic-template.ts';
import type { RawMessage, Rejected } from '../../runtime/stream/types.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const raw = (topic: string, payload: string): RawMessage => ({ topic, payload: enc(payload), receivedAt: 5000 });

describe('topic templates', () => {
  it('subscribes with wildcards and names sensors from the named parts', () => {
    const t = compileTopicTemplate('plant/{site}/{device}/telemetry');
    expect(t.filter).toBe('plant/+/+/telemetry');
    expect(t.match('plant/north/pump-7/telemetry')).toEqual({ sensor: 'north.pump-7' });
    expect(compileTopicTemplate('plant/{site}/{device}/x', '{device}@{site}'.replace('@', '-')).match('plant/a/b/x')).toEqual({ sensor: 'b-a' });
    expect(compileTopicTemplate('sensors/+/data').match('sensors/p1/data')).toEqual({ sensor: 'p1' });
    expect(compileTopicTemplate('s/{sensor}/{channel}').match('s/p1/temp')).toEqual({ sensor: 'p1', channel: 'temp' });
    expect(compileTopicTemplate('a/{sensor}/#').match('a/p1/x/y')).toEqual({ sensor: 'p1' });
  });
  it('never lets a topic inject wildcards or path tricks into a sensor id', () => {
    const t = compileTopicTemplate('s/{sensor}/data');
    for (const bad of ['s/../data', 's/a..b/data', 's//data', 's/$SYS/data', 's/a b/data', 's/.x/data']) {
      expect(t.match(bad)).toMatchObject({ reason: 'bad_sensor_id' });
    }
    expect(t.match('s/p1/other')).toMatchObject({ reason: 'unknown_topic' });
    expect(() => compileTopicTemplate('a/#/b')).toThrow(/last level/);
    expect(() => compileTopicTemplate('a/x+/b')).toThrow(/mixes text/);
    expect(() => compileTopicTemplate('a/{x}', '{y}')).toThrow(/names \{y\}/);
  });
});

describe('decode operator', () => {
  const setup = () => {
    const rejected: Rejected[] = [];
    const codec = createCodec({ kind: 'json', delimiter: ',', joinToleranceMs: 0 }, { channels: ['v'], timestamp: { ...DEFAULT_TIMESTAMP, notBefore: 0 } });
    const route = topicRouter([compileTopicTemplate('s/{sensor}/data')]);
    return { rejected, op: decode({ codec, route, maxPayloadBytes: 64, onRejected: (r) => rejected.push(r) }) };
  };

  it('emits readings, splits rejections to the side channel, and passes completion', () => {
    const { rejected, op } = setup();
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d|', {
        a: raw('s/p1/data', '{"ts":1000,"v":1}'),
        b: raw('s/p1/data', 'junk'),
        c: raw('other/topic', '{"v":1}'),
        d: raw('s/p2/data', `{"v":${'1'.repeat(80)}}`),
      });
      expectObservable(src.pipe(op)).toBe('a------|', { a: { sensor: 'p1', ts: 1_000_000, values: { v: 1 }, receivedAt: 5000 } });
    });
    expect(rejected.map((r) => r.reason)).toEqual(['bad_json', 'unknown_topic', 'too_large']);
  });

  it('passes source errors through and unsubscribes upstream on teardown', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const { op } = setup();
      const e = cold<RawMessage>('--#', undefined, new Error('broker gone'));
      expectObservable(e.pipe(op)).toBe('--#', undefined, new Error('broker gone'));
      const h = hot('--a--b--', { a: raw('s/p1/data', '{"v":1}'), b: raw('s/p1/data', '{"v":2}') });
      expectObservable(h.pipe(op), '^---!').toBe('--a-', { a: { sensor: 'p1', ts: 5000, values: { v: 1 }, receivedAt: 5000, arrival: true } });
      expectSubscriptions(h.subscriptions).toBe('^---!');
    });
  });

  it('rejects a reading outside the serving card range as out_of_range, asking for the ranges on each message', () => {
    const rejected: Rejected[] = [];
    const codec = createCodec({ kind: 'json' }, { channels: ['v', 'w'], timestamp: { ...DEFAULT_TIMESTAMP, notBefore: 0 } });
    const route = topicRouter([compileTopicTemplate('s/{sensor}/data')]);
    // A hot reload swaps the card: the getter is asked per message, so the new range applies from the next one.
    let ranges: Record<string, [number, number]> | undefined = { v: [0, 10] };
    const op = decode({ codec, route, maxPayloadBytes: 256, onRejected: (r) => rejected.push(r), ranges: () => ranges });
    const ok = (ts: number, v: number) => ({ sensor: 'p1', ts: ts * 1000, values: { v, w: 1e6 }, receivedAt: 5000 });
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const src = cold('a-b-c-d|', {
        a: raw('s/p1/data', '{"ts":1000,"v":10,"w":1e6}'),
        b: raw('s/p1/data', '{"ts":1001,"v":10.5,"w":1e6}'),
        c: raw('s/p1/data', '{"ts":1002,"v":-0.1,"w":1e6}'),
        d: raw('s/p1/data', '{"ts":1003,"v":"x","w":1}'),
      });
      expectObservable(src.pipe(op)).toBe('a------|', { a: ok(1000, 10) });
    });
    ranges = { v: [0, 100] };
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold('e|', { e: raw('s/p1/data', '{"ts":1004,"v":50,"w":1e6}') }).pipe(op)).toBe('e|', { e: ok(1004, 50) });
    });
    expect(rejected.map((r) => [r.reason, r.sensor])).toEqual([['out_of_range', 'p1'], ['out_of_range', 'p1'], ['bad_value', 'p1']]);
    expect(rejected[0].detail).toBe("channel 'v' is 10.5, outside its physical range [0, 10] (ranges.v in the model card)");
    expect(rejected[0].outOfRange).toEqual({ channel: 'v', value: 10.5, range: [0, 10] });
    expect(new TextDecoder().decode(rejected[0].payload)).toBe('{"ts":1001,"v":10.5,"w":1e6}');
  });
});
