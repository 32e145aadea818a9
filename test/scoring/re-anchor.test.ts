/**
 * An operator's "this is normal" (runtime/scoring/re-anchor.ts): a sensor whose level stepped to a new normal, which
 * tracking never learns (every window is over the gate), is set from its next windows: they still score as before,
 * those after score as normal, and a change from the new level alerts again. With input offsets learnt before the
 * step, the windows after the anchor are shifted as the averaged ones were, so they score about 0, not about the
 * offsets.
 */
import { describe, expect, it } from 'vitest';
import { Subject, type Observable } from 'rxjs';
import type { ModelCard } from '../../runtime/model/card.ts';
import { TrackedResiduals } from '../../runtime/scoring/residual-baselines.ts';
import { anchorWindow, startAnchor } from '../../runtime/scoring/re-anchor.ts';
import { inferBatches } from '../../runtime/stream/infer-batches.ts';
import type { ScoredWindow, SensorWindow } from '../../runtime/stream/types.ts';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

/** Two channels, window 2, span 1, gate 1 (bar 2), the residual model's means away from 0; `tracking` added. */
function cardWith(tracking: Record<string, unknown>): ModelCard {
  const card = structuredClone(tinyModel({ window: 2, channels: ['a', 'b'] }).card);
  card.scoring = { error: 'mahalanobis', span: 1, residual: { mean: [0.5, -1], precision: [1, 0.3, 0.3, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, ...tracking } } };
  return card;
}

/** Channel a: creeps 0.5 -> 0.9 over windows 0-99 (learnt under the gate), steps to 3.5 at 100, to 6.5 at `faultAt`; b about its mean. */
const a = (k: number, faultAt: number) => (k < 100 ? 0.5 + 0.004 * k : k < faultAt ? 3.5 : 6.5);

/**
 * Scores of sensor p's 400 windows through inferBatches with a model that reconstructs 0 (the residual is the input
 * as shifted), in batches of 4; `anchorAt`: before the batch holding that window, p is marked normal for `windows`.
 */
async function run(card: ModelCard, opts: { anchorAt?: number; windows?: number; faultAt?: number } = {}): Promise<{ scores: number[]; residuals: TrackedResiduals }> {
  const session = { provider: 'fake/re-anchor', run: async (_: Float32Array, n: number) => ({ reconstruction: new Float32Array(n * 4), extra: {} }), close: async () => {} };
  const faultAt = opts.faultAt ?? 1000;
  const ws: SensorWindow[] = Array.from({ length: 400 }, (_, k) => ({
    sensor: 'p', seq: k + 1, tsFirst: k, tsLast: k + 1, receivedAt: k + 1,
    data: Float32Array.from([a(Math.max(0, k - 1), faultAt), -1 + 0.1 * Math.sin(k), a(k, faultAt), -1 + 0.1 * Math.sin(k + 1)]),
    scaler: card.scaler,
  }));
  const residuals = new TrackedResiduals();
  const source = new Subject<SensorWindow[]>();
  const out: ScoredWindow[] = [];
  const scored: Observable<ScoredWindow> = source.pipe(inferBatches({ card, session }, { residuals }));
  const done = new Promise<void>((resolve) => scored.subscribe({ next: (w) => out.push(w), complete: resolve }));
  for (let i = 0; i < ws.length; i += 4) {
    if (opts.anchorAt !== undefined && i === opts.anchorAt) expect(residuals.anchor(card, 'p', opts.windows ?? 8)).toBe('started');
    source.next(ws.slice(i, i + 4));
    await waitFor(() => out.length >= i + 4, `windows ${i}-${i + 3} scored`, 5000);
  }
  source.complete();
  await done;
  return { scores: out.map((w) => w.score), residuals };
}

const max = (xs: number[]) => Math.max(...xs);

describe('a sensor marked normal after its level stepped to a new normal', () => {
  for (const [name, tracking] of [
    ['residual means', {}],
    ['input offsets and level drift', { input: 0.05, drift: [0.001, 0.001] }],
    ['a trending channel', { input: 0.05, trend: [0, 0.01] }],
  ] as const) {
    it(`${name}: alerts until marked, the averaged windows as before, normal after them, and a later fault alerts again`, async () => {
      const card = cardWith(tracking);
      // Unmarked, the step is never learnt: every window from it on is over the bar (2).
      const unmarked = await run(card);
      expect(max(unmarked.scores.slice(0, 100))).toBeLessThan(1);
      expect(Math.min(...unmarked.scores.slice(100))).toBeGreaterThan(2);

      const marked = await run(card, { anchorAt: 200, windows: 8, faultAt: 300 });
      // Before the mark and through the 8 averaged windows, the same scores (they alert as usual and teach nothing).
      expect(marked.scores.slice(0, 208)).toEqual(unmarked.scores.slice(0, 208));
      // From the next window on, the new level is normal: far under the gate.
      expect(max(marked.scores.slice(208, 300))).toBeLessThan(0.05);
      // A change from the new level alerts again.
      expect(Math.min(...marked.scores.slice(300, 310))).toBeGreaterThan(2);
      // The anchor is done and gone.
      expect(marked.residuals.peek(card)!.anchorOf('p')).toBeUndefined();
    });
  }

  it('is refused for a card that follows no level, and for a sensor never scored', async () => {
    const residuals = new TrackedResiduals();
    const card = cardWith({});
    const untracked = structuredClone(card);
    delete untracked.scoring.residual!.tracking;
    expect(residuals.anchor(untracked, 'p', 8)).toBe('untracked');
    expect(residuals.anchor(card, 'p', 8)).toBe('unseen');
    residuals.for(card)!.of('p');
    expect(residuals.anchor(card, 'q', 8)).toBe('unseen');
    expect(residuals.anchor(card, 'p', 8)).toBe('started');
  });
});

describe('anchorWindow', () => {
  it('sets the offsets to the average residual as measured, up to their bound, the means to the rest, spends the uncertainty and forgets the memory', () => {
    const model = { mean: [0, 0], precision: [1, 0, 0, 1], shrinkage: 0, windows: 10, method: 'test', tracking: { rate: 0.05, below: 1, input: 0.05, drift: [0.1, 0.1] }, memory: { lambda: 0.1, scale: 1, clip: 10 } } as never;
    // Means, uncertainties, offsets, memory.
    const state = Float64Array.from([0.1, 0.2, 5, 6, 1, -0.5, 0.7, 0.8]);
    const anchor = startAnchor(2, 2);
    // Residuals of windows shifted by (1, 0) and then (0.5, 0): as measured, (3, 1) and (2.5, 8).
    expect(anchorWindow(anchor, Float64Array.from([2, 1]), 0, 2, Float64Array.from([1, 0]), state, model)).toBe(false);
    expect(state[0]).toBe(0.1);
    expect(anchorWindow(anchor, Float64Array.from([2, 8]), 0, 2, Float64Array.from([0.5, 0]), state, model)).toBe(true);
    // Average as measured (2.75, 4.5): the offsets take it up to their bound (3), the means the rest.
    expect(Array.from(state)).toEqual([0, 1.5, 0, 0, 2.75, 3, 0, 0]);
    // Each level (mean + offset) moved from (1.1, -0.3).
    expect(Array.from(anchor.moved!, (m) => Math.round(m * 1e9) / 1e9)).toEqual([1.65, 4.8]);
    // A window after the last changes nothing.
    expect(anchorWindow(anchor, Float64Array.from([9, 9]), 0, 2, undefined, state, model)).toBe(true);
    expect(state[4]).toBe(2.75);
  });
});
