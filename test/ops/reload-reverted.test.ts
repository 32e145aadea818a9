/**
 * A refused hot reload undone by hand (runtime/ops/serving.ts): an operator copied a model of another window over the
 * serving one, saw `modelReloadRefused` in /health, and put the serving files back. A probe: /health went on carrying
 * the refusal (and its age growing) until some other model was swapped in, though the files on disk were again the
 * model in service and a restart would load them. Files that are the serving model again end the refusal, said once.
 */
import { copyFileSync, mkdtempSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { openServing } from '../../runtime/ops/serving.ts';
import { createEvents } from '../../runtime/ops/events.ts';
import { createEdgeCounters, createMetrics } from '../../runtime/ops/metrics.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import type { ReloadOutcome } from '../../runtime/ops/reload.ts';
import type { RuntimeThresholds } from '../../runtime/ops/thresholds.ts';
import { capturingLogger, testConfig, uniquePrefix } from './harness.ts';

/** Copy a model pair over `model` as an operator should: each file written beside, then moved in, card last. */
function moveIn(from: string, model: string): void {
  for (const ext of ['onnx', 'json']) {
    copyFileSync(`${from}.${ext}`, `${model}.${ext}.tmp`);
    renameSync(`${model}.${ext}.tmp`, `${model}.${ext}`);
  }
}

describe('a refused reload undone', () => {
  it('ends when the files are the serving model again: /health no longer carries the refusal, and the log says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-reverted-'));
    const model = writeTinyModel(join(dir, 'live'), { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 100 });
    const kept = writeTinyModel(join(dir, 'kept'), { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 100 });
    const other = writeTinyModel(join(dir, 'other'), { name: 'pump', window: 8, channels: ['a', 'b'], threshold: 100 });
    const config = testConfig('mqtt://127.0.0.1:1', uniquePrefix('reverted'), model, { reload: { watch: true, debounceMs: 50 } });
    const { lines, logger } = capturingLogger('info');
    const edge = createEdgeCounters();
    const events = createEvents();
    const serving = openServing(config, { log: logger, edge, metrics: createMetrics(createCounters(), edge, { defaultMetrics: false }), events, thresholds: () => ({ modelChanged() {} }) as unknown as RuntimeThresholds });
    const next = (kind: ReloadOutcome['kind']) => firstValueFrom(events.reloads.pipe(filter((o) => o.kind === kind), timeout(15_000)));
    await serving.model.start?.();
    try {
      await serving.watch.start?.();
      const refused = next('refused');
      moveIn(other, model);
      expect(await refused).toMatchObject({ reason: expect.stringMatching(/restart to change the input shape/) });
      expect(edge.reloadRefused).toMatchObject({ reason: expect.stringMatching(/restart to change the input shape/) });
      // The serving model's files put back.
      const unchanged = next('unchanged');
      moveIn(kept, model);
      await unchanged;
      await new Promise((r) => setTimeout(r, 200));
      expect(edge.reloadRefused).toBeNull();
      expect(lines.filter((l) => /model files are the model in service again/.test(String(l.msg)))).toHaveLength(1);
      expect(edge.reloadFailures).toBeGreaterThanOrEqual(1);
      expect(edge.reloads).toBe(0);
    } finally {
      await serving.watch.stop?.();
      await serving.model.stop?.();
    }
  }, 60_000);
});
