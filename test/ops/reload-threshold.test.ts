/**
 * What a hot reload says of the bar it brings (runtime/ops/serving.ts). The start banner names the threshold and its
 * level; a probe swapped in a model whose card put the level at 727 instead of 17 and the log said only "per-sensor
 * thresholds start afresh from its card": the new bar showed first in an alert. The swap's line names it.
 */
import { copyFileSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { openServing } from '../../runtime/ops/serving.ts';
import { createEvents } from '../../runtime/ops/events.ts';
import { createEdgeCounters, createMetrics } from '../../runtime/ops/metrics.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import type { RuntimeThresholds } from '../../runtime/ops/thresholds.ts';
import { capturingLogger, testConfig, uniquePrefix } from './harness.ts';

describe('a hot reload', () => {
  it('names the threshold the new card brings and its level, as the start banner does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-threshold-'));
    const model = writeTinyModel(join(dir, 'live'), { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 17.4 });
    const next = writeTinyModel(join(dir, 'next'), { name: 'pump', window: 4, channels: ['a', 'b'], layers: randomDenseLayers(4, 2, [3], 5), threshold: 727 });
    const config = testConfig('mqtt://127.0.0.1:1', uniquePrefix('reloadbar'), model, { reload: { watch: true, debounceMs: 50 } });
    const { lines, logger } = capturingLogger('info');
    const edge = createEdgeCounters();
    const events = createEvents();
    const serving = openServing(config, { log: logger, edge, metrics: createMetrics(createCounters(), edge, { defaultMetrics: false }), events, thresholds: () => ({ modelChanged() {} }) as unknown as RuntimeThresholds });
    await serving.model.start?.();
    try {
      await serving.watch.start?.();
      const swapped = firstValueFrom(events.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      for (const ext of ['onnx', 'json']) {
        copyFileSync(`${next}.${ext}`, `${model}.${ext}.tmp`);
        renameSync(`${model}.${ext}.tmp`, `${model}.${ext}`);
      }
      await swapped;
      const line = lines.find((l) => /model hot-reloaded/.test(String(l.msg)));
      expect(line).toMatchObject({ threshold: { kind: 'static' }, thresholdLevel: 727 });
      expect(line!.msg).toMatch(/threshold \{"kind":"static"\} at 727/);
    } finally {
      await serving.watch.stop?.();
      await serving.model.stop?.();
    }
  }, 60_000);
});
