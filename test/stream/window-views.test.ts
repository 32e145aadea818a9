/**
 * View windows (windowBySensor `views`, the pipeline's choice): a window is a reference into its sensor's rows until
 * inferBatches assembles its batch. Same values and scalers as copied windows, hot reload included; one object shape
 * from the window stage to the verdict.
 */
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { AlertTracker } from '../../runtime/alerts/tracker.ts';
import { ModelRef } from '../../runtime/inference/model-ref.ts';
import { resolveSession } from '../../runtime/inference/resolve.ts';
import { createPipeline } from '../../runtime/stream/pipeline.ts';
import type { Reading, SensorWindow, Verdict } from '../../runtime/stream/types.ts';
import { windowBySensor } from '../../runtime/stream/window-by-sensor.ts';
import { StaticThreshold } from '../../runtime/thresholds/static.ts';
import { mulberry32, tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { rd } from './helpers.ts';

const { card } = tinyModel({ window: 3, channels: ['a', 'b'], scaler: { kind: 'standard', offset: [1, 0], scale: [2, 1] } });
const next = { ...card, scaler: { kind: 'standard' as const, offset: [0.5, -1], scale: [3, 0.7] } };

function readings(n: number, gapAt = -1): Reading[] {
  const rand = mulberry32(4);
  return Array.from({ length: n }, (_, i) => rd(i % 2 ? 'p' : 'q', 1000 * (i + 1) + (i >= gapAt && gapAt >= 0 ? 60_000 : 0), { a: rand() * 10, b: rand() }));
}

/** Windows of `rs`, swapping the card's scaler after `swapAfter` windows; views are materialised only at the end. */
function cut(rs: Reading[], views: boolean, swapAfter: number, stride = 1): { data: number[]; scaler: unknown; seq: number; tsFirst: number }[] {
  let current = card;
  const held: SensorWindow[] = [];
  from(rs)
    .pipe(windowBySensor(() => current, { views, stride, gapResetMs: 30_000 }))
    .subscribe((w) => {
      held.push(w);
      if (held.length === swapAfter) current = next;
    });
  return held.map((w) => {
    let data = w.data;
    if (w.rows) {
      data = new Float32Array(w.rows.width);
      w.rows.copyWindow(w.seq, data, 0);
      w.rows.release(w.seq);
    }
    return { data: Array.from(data), scaler: w.scaler, seq: w.seq, tsFirst: w.tsFirst };
  });
}

describe('view windows', () => {
  it('hold the same values, scalers and bounds as copied windows, across a hot reload while they wait, gaps and strides', () => {
    for (const stride of [1, 2, 5]) {
      for (const swapAfter of [1, 7, 40]) {
        const rs = readings(120, 61);
        const copies = cut(rs, false, swapAfter, stride);
        expect(copies.length).toBeGreaterThan(10);
        expect(cut(rs, true, swapAfter, stride)).toEqual(copies);
      }
    }
  });

  it('keep one shape from the window stage to the verdict: every field exists at creation', async () => {
    const fixture = tinyModel({ window: 8, channels: ['current', 'vibration'], span: 1 });
    const { session } = await resolveSession(['cpu'], { onnx: fixture.onnx, inputName: 'input', outputName: 'reconstruction', window: 8, channels: 2 });
    const ref = new ModelRef(fixture.card, session);
    const cutKeys: string[][] = [];
    const rs = Array.from({ length: 300 }, (_, i) => rd(`s${i % 3}`, 1000 * i, { current: i % 7, vibration: 1 }));
    const wins = await lastValueFrom(from(rs).pipe(windowBySensor(fixture.card, { views: true }), toArray()));
    for (const w of wins.slice(0, 3)) cutKeys.push(Object.keys(w));
    const p = createPipeline({ model: ref, thresholds: () => new StaticThreshold(0.5), smoothing: 0.5 });
    const out = await lastValueFrom(from(rs).pipe(p.detect, toArray()));
    expect(out.length).toBe(3 * (100 - 8 + 1));
    const keys = new Set(out.map((d) => Object.keys(d.verdict).join(',')));
    expect([...keys]).toEqual([cutKeys[0].join(',')]);
    // Assembled: the view let go of its rows and carries its values.
    expect(out.every((d) => d.verdict.rows === undefined && d.verdict.data.length === 16)).toBe(true);
    await ref.close();
  });

  it('a peak the alert tracker keeps past its batch owns its errors and keeps none of its values: the batch buffers it came from are reused', () => {
    const t = new AlertTracker({ openK: 1, openN: 1, closeM: 1, cooldownMs: 0 });
    const input = Float32Array.from({ length: 12 }, (_, i) => i);
    const errors = Float32Array.from([1, 2, 3, 4]);
    const verdict = (i: number, anomaly: boolean): Verdict => ({
      sensor: 's', tsFirst: i, tsLast: i + 2, seq: i, receivedAt: i, data: input.subarray(6 * (i % 2), 6 * (i % 2) + 6),
      perChannel: errors.subarray(2 * (i % 2), 2 * (i % 2) + 2), score: anomaly ? 5 : 0, threshold: 1, anomaly, provider: 'p',
    });
    expect(t.step(verdict(0, true)).kind).toBe('open');
    input.fill(-1); // the next batch is assembled into the same input and scored into new errors
    errors.fill(-1);
    const close = t.step(verdict(1, false));
    expect(close.kind).toBe('close');
    if (close.kind !== 'close') return;
    // Nothing reads a kept peak's values (test/alerts/kept-peak.test.ts): none are held, so none can be overwritten.
    expect(close.peak.data.length).toBe(0);
    expect(Array.from(close.peak.perChannel)).toEqual([1, 2]);
  });
});
