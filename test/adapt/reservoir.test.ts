/**
 * The runtime's reservoir of clearly normal windows (runtime/adapt/reservoir.ts): windows of an alert, of a guard
 * band before and after every anomalous window, and those not clearly under the threshold never enter; alert
 * windows are kept as canaries; the bytes bound holds; a snapshot written to disk restores the same reservoir.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReservoirSchema } from '../../runtime/adapt/config.ts';
import { Reservoir } from '../../runtime/adapt/reservoir.ts';
import { readReservoir, storedWindow, storedWindowBytes, writeReservoir, writeReservoirAsync, decodeReservoir, encodeReservoir } from '../../runtime/adapt/reservoir-file.ts';
import type { Detection } from '../../runtime/stream/types.ts';

const W = 4;
const C = 2;
const model = { name: 'pump', window: W, channels: ['a', 'b'] };
const scaler = { kind: 'standard' as const, offset: [10, 20], scale: [2, 4] };
const cfg = (o: Record<string, unknown> = {}) => ReservoirSchema.parse({ guardMs: 10_000, sampleEveryMs: 0, canaryAlerts: 2, canaryWindows: 3, ...o });
const dir = mkdtempSync(join(tmpdir(), 'vigil-reservoir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A detection of `sensor` at second `t`: window values all `t` (scaled), score, threshold 1. */
function det(sensor: string, t: number, score: number, extra: Partial<Detection> = {}): Detection {
  const data = new Float32Array(W * C).fill(t);
  const verdict = { sensor, tsFirst: (t - W + 1) * 1000, tsLast: t * 1000, data, seq: t, receivedAt: 0, score, perChannel: new Float32Array(C), provider: 'test', threshold: 1, anomaly: score > 1 };
  return { verdict, alertOpen: false, ...extra };
}

/** Feed a score per second from `from`; returns the seconds whose windows entered. */
function feed(r: Reservoir, sensor: string, scores: number[], from = 0, alertAt?: [number, number]): void {
  scores.forEach((s, i) => {
    const t = from + i;
    const open = alertAt ? t >= alertAt[0] && t <= alertAt[1] : false;
    const alert = alertAt && t === alertAt[0] ? { type: 'open' as const } : alertAt && t === alertAt[1] + 1 ? { type: 'close' as const } : undefined;
    r.observe(det(sensor, t, s, { alertOpen: open, alert: alert as Detection['alert'] }), scaler);
  });
}

const seconds = (r: Reservoir) => r.snapshot().windows.map((w) => w.tsLast / 1000);

describe('reservoir', () => {
  it('takes only clearly normal windows, in original units, after they waited out the guard band', () => {
    const r = new Reservoir(model, cfg());
    // 0..29 quiet (0.2), 30..31 at 0.7 (not clearly normal under 0.5 x threshold), 32..59 quiet.
    feed(r, 's1', Array.from({ length: 60 }, (_, t) => (t === 30 || t === 31 ? 0.7 : 0.2)));
    // Only windows 10 s older than the newest (59) have entered: 0..49 minus 30, 31.
    expect(seconds(r)).toEqual(Array.from({ length: 50 }, (_, t) => t).filter((t) => t !== 30 && t !== 31));
    expect(r.counts.score).toBe(2);
    const w = r.snapshot().windows[5];
    expect([...w.data]).toEqual([5 * 2 + 10, 5 * 4 + 20, 5 * 2 + 10, 5 * 4 + 20, 5 * 2 + 10, 5 * 4 + 20, 5 * 2 + 10, 5 * 4 + 20]);
  });

  it('keeps out a sensor\'s maintenance (muted windows, normal-looking too) and the guard band around it, as an incident', () => {
    const r = new Reservoir(model, cfg());
    // Muted over 40..45 (runtime/alerts/maintenance.ts), every window scoring as normal.
    for (let t = 0; t < 100; t++) r.observe(det('s1', t, 0.1, t >= 40 && t <= 45 ? { muted: true } : {}), scaler);
    // 30..39 waiting when the first muted window came; 46..54 the guard band after the last (45); 55.. entered by 99.
    expect(seconds(r)).toEqual([...Array.from({ length: 30 }, (_, t) => t), ...Array.from({ length: 35 }, (_, t) => 55 + t)]);
    expect(r.counts).toMatchObject({ incident: 10 + 6, guard: 9 });
  });

  it('keeps out an alert, the guard band before it (waiting windows are discarded) and after it; its windows become a canary', () => {
    const r = new Reservoir(model, cfg());
    // Alert open over seconds 40..45 (anomalous 40..43, then quiet while it stays open), closed at 46.
    const scores = Array.from({ length: 100 }, (_, t) => (t >= 40 && t <= 43 ? 3 : 0.1));
    feed(r, 's1', scores, 0, [40, 45]);
    const got = seconds(r);
    // Before: 30..39 were still waiting when 40 was flagged. After: the last incident verdict is 46 (the close),
    // so 47..55 are in the guard band; 56.. wait 10 s and 56..89 have entered by 99.
    expect(got).toEqual([...Array.from({ length: 30 }, (_, t) => t), ...Array.from({ length: 34 }, (_, t) => 56 + t)]);
    expect(r.counts.incident).toBe(10 + 7);
    expect(r.counts.guard).toBe(9);
    const canaries = r.snapshot().canaries;
    expect(canaries).toHaveLength(1);
    expect(canaries[0]).toMatchObject({ sensor: 's1', from: 40_000, to: 46_000 });
    expect(canaries[0].windows.map((w) => w.tsLast / 1000)).toEqual([40, 41, 42]); // canaryWindows 3, the first
    // Another sensor is not affected by s1's alert.
    feed(r, 's2', Array.from({ length: 20 }, () => 0.1), 40);
    expect(r.snapshot().windows.filter((w) => w.sensor === 's2')).toHaveLength(10);
  });

  it('a marginal alert (peak under canaryMinPeak x threshold) is kept out of the reservoir but is no canary', () => {
    const r = new Reservoir(model, cfg());
    feed(r, 's1', Array.from({ length: 60 }, (_, t) => (t >= 20 && t <= 22 ? 1.5 : 0.1)), 0, [20, 23]);
    expect(r.snapshot().canaries).toEqual([]);
    expect(r.counts.incident).toBeGreaterThan(0);
  });

  it('an anomalous window that opens no alert still discards the waiting windows and starts a guard band', () => {
    const r = new Reservoir(model, cfg());
    feed(r, 's1', Array.from({ length: 40 }, (_, t) => (t === 15 ? 2 : 0.1)));
    expect(seconds(r)).toEqual([0, 1, 2, 3, 4, 25, 26, 27, 28, 29]);
    expect(r.incident()).toBeUndefined();
    r.observe(det('s1', 40, 2), scaler);
    expect(r.incident()).toBe('s1');
  });

  it('holds the clearly normal windows the guard band keeps out aside for the level seed, the newest per sensor, not in the file', () => {
    // Sporadic flags every 8 s (as an adapted model that drifts off flags them): nothing waits out the guard band.
    const r = new Reservoir(model, cfg({ maxBytes: 65_536 }), undefined, 5);
    const scores = Array.from({ length: 200 }, (_, t) => (t % 8 === 7 ? 1.2 : t % 8 === 6 ? 0.8 : 0.2));
    feed(r, 's1', scores);
    expect(seconds(r)).toEqual([]);
    const level = (sensor: string) => r.levelWindows().filter((w) => w.sensor === sensor).map((w) => w.tsLast / 1000).sort((a, b) => a - b);
    // The newest 5 clearly normal ones were set aside (198 scored 0.8, 199 was flagged).
    expect(level('s1')).toEqual([193, 194, 195, 196, 197]);
    expect(r.counts.guard).toBeGreaterThan(100);
    // Another sensor with no flags: its waiting windows count too (the newest 10 s have not entered the ring yet).
    feed(r, 's2', Array.from({ length: 30 }, () => 0.2));
    expect(level('s2')).toHaveLength(30);
    expect(r.snapshot().windows.filter((w) => w.sensor === 's2')).toHaveLength(20);
    // Aside windows count toward maxBytes and never reach the file; a rollback's clear drops them with the rest.
    expect(r.snapshot().windows.every((w) => w.sensor === 's2')).toBe(true);
    r.clearWindows();
    expect(r.levelWindows()).toEqual([]);
    // However many a sensor may hold aside, they take at most a quarter of the budget and never push out training
    // windows; once the sensor is back to normal, its newer windows replace them one for one.
    const many = new Reservoir(model, cfg({ maxBytes: 65_536 }), undefined, 100_000);
    feed(many, 's2', Array.from({ length: 40 }, () => 0.2));
    const before = many.snapshot().windows.length;
    feed(many, 's1', Array.from({ length: many.capacity }, (_, t) => (t % 8 === 7 ? 1.2 : 0.2)), 100);
    const aside = () => many.levelWindows().filter((w) => w.sensor === 's1').length;
    expect(aside()).toBe(Math.floor(many.capacity / 4));
    expect(many.snapshot().windows).toHaveLength(before);
    // The bytes gauge counts what is held, the windows held aside too.
    expect(many.bytes).toBeGreaterThanOrEqual((before + Math.floor(many.capacity / 4)) * storedWindowBytes(W, C));
    feed(many, 's1', Array.from({ length: 30 }, () => 0.2), 100 + many.capacity);
    // 30 quiet seconds: each new window (3 still in the guard band, 27 waiting to enter) displaces an old one.
    const old = () => many.levelWindows().filter((w) => w.sensor === 's1' && w.tsLast < (100 + many.capacity) * 1000).length;
    expect(old()).toBe(Math.floor(many.capacity / 4) - 30);
    feed(many, 's1', Array.from({ length: 200 }, () => 0.2), 130 + many.capacity);
    expect(old()).toBe(0);
  });

  it('thins to one window per sensor per sampleEveryMs and stays within maxBytes, oldest out', () => {
    const r = new Reservoir(model, cfg({ sampleEveryMs: 5000, maxBytes: 65_536 }));
    feed(r, 's1', Array.from({ length: 30 }, () => 0.1));
    expect(seconds(r)).toEqual([0, 5, 10, 15]);
    const big = new Reservoir(model, cfg({ maxBytes: 65_536 }));
    feed(big, 's1', Array.from({ length: 5000 }, () => 0.1));
    expect(big.size).toBeLessThanOrEqual(big.capacity);
    expect(seconds(big).at(-1)).toBe(4989);
    expect(seconds(big)[0]).toBe(4990 - big.size);
    const path = join(dir, 'big.json');
    writeReservoir(path, big.snapshot());
    expect(statSync(path).size).toBeLessThanOrEqual(65_536);
  });

  it('persists and restores: the same windows, canaries, fresh count, guard bands and drift reference', () => {
    const r = new Reservoir(model, cfg());
    r.keepDriftReference({ version: '3', mean: 1.25, std: 0.5, count: 400 });
    feed(r, 's1', Array.from({ length: 100 }, (_, t) => (t >= 40 && t <= 43 ? 3 : 0.1)), 0, [40, 45]);
    r.observe(det('s2', 99, 5), scaler); // s2 flagged last: its guard band runs to 109 s
    const path = join(dir, 'pump.json');
    writeReservoir(path, r.snapshot());
    const back = new Reservoir(model, cfg(), readReservoir(path));
    expect(back.snapshot().windows).toEqual(r.snapshot().windows);
    expect(back.snapshot().canaries).toEqual(r.snapshot().canaries);
    expect(back.freshCount).toBe(r.freshCount);
    expect(back.driftReference()).toEqual({ version: '3', mean: 1.25, std: 0.5, count: 400 });
    // Canaries turned off since the save: the windows come back without them (it threw, and the store started empty).
    expect(r.snapshot().canaries.length).toBeGreaterThan(0);
    const noCanaries = new Reservoir(model, cfg({ canaryAlerts: 0 }), readReservoir(path));
    expect(noCanaries.snapshot().windows).toEqual(r.snapshot().windows);
    expect(noCanaries.snapshot().canaries).toEqual([]);
    // s2's guard band survived the restart: its windows before 109 s stay out.
    feed(back, 's2', [0.1, 0.1], 100);
    expect(back.counts.guard).toBe(2);
    expect(() => new Reservoir({ ...model, channels: ['a', 'c'] }, cfg(), readReservoir(path))).toThrow(/reservoir is of model 'pump' \(4 x \[a, b\]\); the model in service is 'pump' \(4 x \[a, c\]\)/);
    // A window with a forward-filled row keeps the mark through the file (a second opinion does not judge it stuck).
    const filled = storedWindow({ ...det('s3', 7, 0.1), verdict: { ...det('s3', 7, 0.1).verdict, filled: true } }, scaler);
    const plain = storedWindow(det('s3', 8, 0.1), scaler);
    const kept = decodeReservoir(encodeReservoir({ ...r.snapshot(), windows: [filled, plain] }), 'x.json').windows;
    expect(kept.map((w) => w.filled)).toEqual([true, undefined]);
    expect(() => decodeReservoir('{"format":"other"}', 'x.json')).toThrow(/x\.json: not a reservoir file of this version \(format:/);
    expect(() => decodeReservoir('nope', 'x.json')).toThrow(/x\.json: not JSON/);
  });

  it('the runtime\'s chunked asynchronous write gives the same file as the one-go write', async () => {
    const r = new Reservoir(model, cfg({ maxBytes: 1 << 20 }));
    feed(r, 's1', Array.from({ length: 400 }, (_, t) => (t >= 40 && t <= 43 ? 3 : 0.1)), 0, [40, 45]);
    expect(r.snapshot().windows.length).toBeGreaterThan(64 * 3); // several chunks
    const a = join(dir, 'one-go.json');
    const b = join(dir, 'chunked.json');
    writeReservoir(a, r.snapshot());
    await writeReservoirAsync(b, r.snapshot());
    const text = (p: string) => readFileSync(p, 'utf8').replace(/"savedAt":"[^"]*"/, '');
    expect(text(b)).toBe(text(a));
    expect(readReservoir(b).windows).toEqual(r.snapshot().windows);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a budget too small for its canaries, saying what to change', () => {
    expect(() => new Reservoir(model, cfg({ maxBytes: 65_536, canaryAlerts: 100, canaryWindows: 32 }))).toThrow(/adapt\.reservoir\.maxBytes 65536 holds \d+ windows .*raise maxBytes or lower the canary settings/);
  });
});
