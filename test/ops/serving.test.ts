/**
 * The model in service (runtime/ops/serving.ts) as the intake sees it: the warm-up of the model serving now, the one
 * at the start and then each model a hot reload swaps in, is the intake's pace until that model's first batch
 * (runtime/ops/intake-pressure.ts): the room the reorder stage gets for what it holds, and the drain estimate.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { meanLayer, randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { openServing } from '../../runtime/ops/serving.ts';
import { IntakePressure } from '../../runtime/ops/intake-pressure.ts';
import { createEvents } from '../../runtime/ops/events.ts';
import { createEdgeCounters, createMetrics } from '../../runtime/ops/metrics.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import type { RuntimeThresholds } from '../../runtime/ops/thresholds.ts';
import { silent, testConfig, uniquePrefix } from './harness.ts';

const W = 32;
const CH = ['a', 'b', 'c', 'd'];

describe('the model in service', () => {
  it("after a hot reload, the intake's pace is the new model's warm-up until its first batch, not the old model's pace", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-serving-'));
    // A fast model serves first; a far slower one of the same shape is swapped in.
    const model = writeTinyModel(dir, { name: 'm', window: W, channels: CH, layers: [meanLayer(W, CH.length)], threshold: 8 });
    const config = testConfig('mqtt://127.0.0.1:1', uniquePrefix('serving'), model, { reload: { watch: true, debounceMs: 20 }, batch: { size: 64, maxWaitMs: 1 } });
    const edge = createEdgeCounters();
    const events = createEvents();
    const serving = openServing(config, { log: silent, edge, metrics: createMetrics(createCounters(), edge, { defaultMetrics: false }), events, thresholds: () => ({ modelChanged() {} }) as unknown as RuntimeThresholds });
    const pressure = new IntakePressure({ update: () => {} }, { maxPendingBytes: 1e6, stopDrainMs: 5000, pauseIntakeAt: 0.5, stride: 1 }, serving.warmup);
    await serving.model.start?.();
    try {
      await serving.watch.start?.();
      const fast = serving.ref().current;
      expect(serving.warmup()).toMatchObject({ card: fast.card, windows: 65 });
      // The fast model's own pace, from its batches.
      const input = new Float32Array(64 * W * CH.length);
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        await fast.session.run(input, 64);
        pressure.batch({ card: fast.card, size: 64, inferMs: performance.now() - t0, assembleMs: 0, scoreMs: 0 });
      }
      const fastRoom = pressure.heldRoom();

      const staging = mkdtempSync(join(tmpdir(), 'vigil-serving-new-'));
      const next = writeTinyModel(staging, { name: 'm', window: W, channels: CH, layers: randomDenseLayers(W, CH.length, [2048, 2048], 3), threshold: 8 });
      const swapped = firstValueFrom(events.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      copyFileSync(`${next}.onnx`, `${model}.onnx`);
      writeFileSync(`${model}.json`, JSON.stringify({ ...JSON.parse(readFileSync(`${next}.json`, 'utf8')), version: '0.0.2' }));
      const o = await swapped;
      if (o.kind !== 'swapped') throw new Error('not swapped');
      const slow = serving.ref().current;
      expect(slow.card).toBe(o.to);
      expect(o.warmupMs).toBeGreaterThan(0);
      expect(serving.warmup()).toEqual({ card: o.to, ms: o.warmupMs, windows: 65 });
      // Before its first batch: the slow model's warm-up speaks, not the fast model's pace.
      const guessed = Math.max(64, Math.floor((0.5 * 5000 * 65) / o.warmupMs));
      const slowRoom = pressure.heldRoom();
      expect(slowRoom).toBe(guessed);
      // Far under the fast model's (a quarter or less on a quiet machine; 3x under it at load 7, two suites at once).
      expect(slowRoom).toBeLessThan(fastRoom / 2);
      // Its first batch sets its pace.
      const t0 = performance.now();
      await slow.session.run(input, 64);
      const ms = performance.now() - t0;
      pressure.batch({ card: slow.card, size: 64, inferMs: ms, assembleMs: 0, scoreMs: 0 });
      expect(pressure.heldRoom()).toBe(Math.max(64, Math.floor((0.5 * 5000 * 64) / ms)));
    } finally {
      await serving.watch.stop?.();
      await serving.model.stop?.();
    }
  }, 60_000);
});
