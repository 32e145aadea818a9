import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../simulators/replay/clock.ts';
import { replay, type ReplayReading } from '../../simulators/replay/replay.ts';
import { mergeTracks } from '../../simulators/replay/schedule.ts';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTracks, namedTrack, type Track } from '../../simulators/replay/tracks.ts';
import { encodeReading, checkTopicTemplate, PAYLOAD_CODEC, PAYLOAD_FORMATS } from '../../simulators/payload/encode.ts';
import { createRng } from '../../runtime/util/prng.ts';

/** A track with irregular recorded intervals (seeded), like a real logger. */
function track(sensor: string, t0: number, rows: number, seed: number, meanStepMs = 5 * 60_000): Track {
  const rng = createRng(seed);
  const ts = new Float64Array(rows);
  let t = t0;
  for (let i = 0; i < rows; i++) {
    ts[i] = t;
    t += Math.round(meanStepMs * rng.between(0.5, 1.5));
  }
  const data = Float32Array.from({ length: rows }, (_, i) => i);
  return { sensor, file: `${sensor}.csv`, series: { timestamps: ts, channels: ['value'], data } };
}

describe('replay on a virtual clock', () => {
  const a = track('a', Date.UTC(2014, 0, 1), 400, 1);
  const b = track('b', Date.UTC(2015, 5, 1), 300, 2);

  it('publishes each reading at start + recorded offset / speed, without drift when publishing takes time', async () => {
    const clock = new VirtualClock(1_000_000);
    const got: { r: ReplayReading; at: number }[] = [];
    const speed = 60;
    const publishCostMs = 3; // much less than the 2.5 s minimum gap at 60x, so nothing should queue up
    const summary = await replay({
      tracks: [a, b], speed, clock,
      publish: (r) => {
        got.push({ r: { ...r, values: r.values.slice() }, at: clock.now() });
        clock.advance(publishCostMs);
      },
    });
    expect(summary.sent).toBe(700);
    // Only the two simultaneous first readings queue behind each other, by one publish.
    expect(summary.maxLagMs).toBeLessThanOrEqual(publishCostMs);
    for (const t of [a, b]) {
      const mine = got.filter((g) => g.r.sensor === t.sensor);
      expect(mine).toHaveLength(t.series.timestamps.length);
      mine.forEach((g, i) => {
        const expected = 1_000_000 + (t.series.timestamps[i] - t.series.timestamps[0]) / speed;
        // On schedule within one publish, however long the replay: the error never accumulates.
        expect(Math.abs(g.at - expected)).toBeLessThanOrEqual(publishCostMs);
        expect(g.r.values[0]).toBe(i);
        // Shifted timestamps: first reading stamped at the start, recorded spacing kept.
        expect(g.r.ts).toBe(1_000_000 + t.series.timestamps[i] - t.series.timestamps[0]);
      });
    }
    // Both files start together (aligned at their own starts) and the merged order is by offset.
    const offsets = got.map((g) => g.at);
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    // The whole replay takes the recorded span / speed (+ the last publish).
    const span = Math.max(a.series.timestamps[399] - a.series.timestamps[0], b.series.timestamps[299] - b.series.timestamps[0]);
    expect(summary.elapsedMs).toBeCloseTo(span / speed + publishCostMs, 0);
  });

  it('a slow sink falls behind, catches up without sleeping, then is on time again', async () => {
    const clock = new VirtualClock(0);
    const lags: number[] = [];
    let n = 0;
    await replay({
      tracks: [a], speed: 600, clock,
      // The 50th publish stalls for 10 s (e.g. a broker hiccup); recorded gaps are >= 150 s = 250 ms at 600x.
      publish: (r) => { lags.push(clock.now() - r.due); if (++n === 50) clock.advance(10_000); },
    });
    expect(Math.max(...lags.slice(0, 50))).toBe(0);
    expect(Math.max(...lags.slice(50, 60))).toBeGreaterThan(0);
    expect(Math.max(...lags.slice(120))).toBe(0);
  });

  it('max speed never sleeps; loops keep timestamps increasing; keep leaves recorded timestamps', async () => {
    const clock = new VirtualClock(0);
    const ts: number[] = [];
    const s = await replay({ tracks: [a], speed: Infinity, passes: 3, timestamps: 'keep', clock, publish: (r) => { ts.push(r.ts); } });
    expect(s.sent).toBe(1200);
    expect(clock.sleeps).toBe(0);
    expect(ts[0]).toBe(a.series.timestamps[0]);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
  });

  it('stops promptly on abort', async () => {
    const clock = new VirtualClock(0);
    const ac = new AbortController();
    let n = 0;
    const s = await replay({ tracks: [a, b], speed: 60, clock, signal: ac.signal, publish: () => { if (++n === 10) ac.abort(); } });
    expect(s.aborted).toBe(true);
    expect(s.sent).toBe(10);
  });

  it('--sensor names a single file\'s sensor (a run\'s test.csv), and is refused for a folder or an id no topic level can be', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-sensor-'));
    for (const run of ['a', 'b']) {
      mkdirSync(join(dir, run));
      writeFileSync(join(dir, run, 'test.csv'), 'timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,2\n');
    }
    const one = loadTracks(join(dir, 'a', 'test.csv')).tracks;
    expect(one[0].sensor).toBe('test');
    expect(namedTrack(one, 'plant-01')).toEqual([expect.objectContaining({ sensor: 'plant-01', file: join(dir, 'a', 'test.csv') })]);
    expect(() => namedTrack(loadTracks(dir).tracks, 'plant-01')).toThrow(/names the one sensor of a single file, and --data holds 2 files/);
    expect(() => namedTrack(one, 'plant/01')).toThrow(/without '#', '\+', '\/' or spaces/);
  });

  it('common alignment keeps the recorded distance between files', () => {
    const ev = [...mergeTracks([a, b], 'common')];
    const firstB = ev.find((e) => e.track === 1)!;
    expect(firstB.offset).toBe(b.series.timestamps[0] - a.series.timestamps[0]);
  });
});

describe('payload encoding', () => {
  const ch = ['flow', 'motor_current'];
  const v = Float32Array.of(57.33, 12.5);
  it('encodes the formats the runtime reads', () => {
    expect(encodeReading('json', 'sensors/{sensor}/data', 'p1', 1000, ch, v)).toEqual([{ topic: 'sensors/p1/data', payload: '{"ts":1000,"values":{"flow":57.33,"motor_current":12.5}}' }]);
    expect(encodeReading('flat', 's/{sensor}', 'p1', 1000, ch, v)[0].payload).toBe('{"ts":1000,"flow":57.33,"motor_current":12.5}');
    expect(encodeReading('json-array', 's/{sensor}', 'p1', 1000, ch, v)[0].payload).toBe('[1000,57.33,12.5]');
    expect(encodeReading('csv', 's/{sensor}', 'p1', 1000, ch, v)[0].payload).toBe('1000,57.33,12.5');
    expect(encodeReading('number', 's/{sensor}/{channel}', 'p1', 1000, ch, v)).toEqual([
      { topic: 's/p1/flow', payload: '1000,57.33' }, { topic: 's/p1/motor_current', payload: '1000,12.5' },
    ]);
  });
  it('refuses templates that cannot carry the format', () => {
    expect(() => checkTopicTemplate('s/{sensor}', 'number', 2)).toThrow(/put \{channel\} in the topic/);
    expect(() => checkTopicTemplate('s/+/data', 'json', 2)).toThrow(/wildcard/);
    expect(() => checkTopicTemplate('s/{sensor}', 'xml' as never, 2)).toThrow(/expected one of json, flat, json-array, csv, number/);
  });
});

describe('payloads round-trip through the runtime codecs', () => {
  it('every format decodes to the same sensor, timestamp and values', async () => {
    const { createCodec } = await import('../../runtime/codecs/registry.ts');
    const { DEFAULT_TIMESTAMP, isRejected } = await import('../../runtime/codecs/codec.ts');
    const channels = ['flow', 'motor_current', 'temperature'];
    const values = Float32Array.of(57.3312, 12.5, 41.07);
    const ts = Date.UTC(2024, 0, 1, 12, 0, 0);
    const cases = PAYLOAD_FORMATS.map((format) => ({ format, template: format === 'number' ? 'sensors/{sensor}/{channel}' : 'sensors/{sensor}/data' }));
    for (const c of cases) {
      const codec = createCodec({ kind: PAYLOAD_CODEC[c.format], delimiter: ',', joinToleranceMs: 100, byContentType: false }, { channels, timestamp: DEFAULT_TIMESTAMP });
      const readings: import('../../runtime/stream/types.ts').Reading[] = [];
      for (const m of encodeReading(c.format, c.template, 'pump-7', ts, channels, values)) {
        const channel = c.format === 'number' ? m.topic.split('/').at(-1) : undefined;
        const r = codec.decode({ topic: m.topic, payload: new TextEncoder().encode(m.payload), receivedAt: ts + 5 }, { sensor: 'pump-7', channel });
        expect(isRejected(r), `${c.format}: ${JSON.stringify(r)}`).toBe(false);
        if (!isRejected(r)) readings.push(...r);
      }
      expect(readings, c.format).toHaveLength(1);
      expect(readings[0].sensor).toBe('pump-7');
      expect(readings[0].ts).toBe(ts);
      channels.forEach((ch, j) => expect(readings[0].values[ch]).toBeCloseTo(values[j], 4));
    }
  });
});

describe('replay input: label columns (issue 17.3)', () => {
  it('never publishes label columns (changepoint, fault, ...) unless named in channels; --ignore drops columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-labels-'));
    writeFileSync(join(dir, 'skab.csv'), 'datetime;Accelerometer1RMS;Pressure;anomaly;changepoint\n2020-03-09 10:14:33;0.02;0.05;0;0\n2020-03-09 10:14:34;0.03;0.06;1;1\n');
    const notes: string[] = [];
    const plain = loadTracks(dir, { onNote: (n) => notes.push(n) }).tracks[0].series;
    expect(plain.channels).toEqual(['Accelerometer1RMS', 'Pressure']);
    expect(notes).toEqual([expect.stringMatching(/skab\.csv: label column\(s\) anomaly, changepoint set aside/)]);
    expect(loadTracks(dir, { channels: ['Pressure', 'changepoint'] }).tracks[0].series.channels).toEqual(['Pressure', 'changepoint']);
    expect(loadTracks(dir, { ignore: ['Pressure'] }).tracks[0].series.channels).toEqual(['Accelerometer1RMS']);
  });

  it('reads a decimal-comma export, and skips a file with a channel mostly filled rather than publish a flat line (a probe)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-marks-'));
    const rows = (cell: (r: number) => string) => Array.from({ length: 10 }, (_, r) => `2024-03-01 00:00:${String(r).padStart(2, '0')};${cell(r)};3`).join('\n');
    writeFileSync(join(dir, 'eu.csv'), `timestamp;flow;pressure\n${rows((r) => `48,${r}`)}\n`);
    writeFileSync(join(dir, 'text.csv'), `timestamp;flow;pressure\n${rows((r) => (r < 2 ? '49' : 'n/a'))}\n`);
    const loaded = loadTracks(dir);
    expect(loaded.tracks.map((t) => t.sensor)).toEqual(['eu']);
    expect(Array.from(loaded.tracks[0].series.data.filter((_, i) => i % 2 === 0))).toEqual(Array.from({ length: 10 }, (_, r) => Math.fround(48 + r / 10)));
    expect(loaded.skipped).toEqual([expect.objectContaining({ file: join(dir, 'text.csv'), reason: expect.stringMatching(/column 'flow': 8 of 10 cells were text/) })]);
  });
});
