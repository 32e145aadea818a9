/**
 * A model deployed by switching a symlinked folder (`model: /var/lib/vigil/models/current/pump`, `current -> v1`, then
 * `ln -sfn v2 current.tmp && mv -T current.tmp current`, as release tools do) is hot-reloaded (runtime/ops/reload.ts).
 * A probe: the switch went unseen, /health kept the old weights and nothing was logged, so the new model went live
 * only at the next restart; and files written into the folder now behind the link are watched from then on.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { openServing } from '../../runtime/ops/serving.ts';
import { createEvents } from '../../runtime/ops/events.ts';
import { createEdgeCounters, createMetrics } from '../../runtime/ops/metrics.ts';
import { createCounters } from '../../runtime/stream/counters.ts';
import { weightsOf } from '../../runtime/model/card.ts';
import type { RuntimeThresholds } from '../../runtime/ops/thresholds.ts';
import { silent, testConfig, uniquePrefix } from './harness.ts';

/** Point `link` at `target` in one rename, as `ln -sfn` + `mv -T` does. */
function switchLink(link: string, target: string): void {
  symlinkSync(target, `${link}.tmp`);
  renameSync(`${link}.tmp`, link);
}

describe('a model folder behind a symlink', () => {
  it('is reloaded when the link is switched to another release, and watched in its new folder from then on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-symlink-'));
    const release = (name: string, seed: number) => writeTinyModel(join(dir, name), { name: 'pump', window: 4, channels: ['a', 'b'], layers: randomDenseLayers(4, 2, [3], seed), threshold: 100 });
    const v1 = release('v1', 1);
    const v2 = release('v2', 2);
    const v3 = release('v3', 3);
    symlinkSync('v1', join(dir, 'current'));
    const config = testConfig('mqtt://127.0.0.1:1', uniquePrefix('symlink'), join(dir, 'current', 'pump'), { reload: { watch: true, debounceMs: 50 } });
    const edge = createEdgeCounters();
    const events = createEvents();
    const serving = openServing(config, { log: silent, edge, metrics: createMetrics(createCounters(), edge, { defaultMetrics: false }), events, thresholds: () => ({ modelChanged() {} }) as unknown as RuntimeThresholds });
    const swapped = () => firstValueFrom(events.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
    const weights = (model: string) => weightsOf(JSON.parse(readFileSync(`${model}.json`, 'utf8')));
    await serving.model.start?.();
    try {
      await serving.watch.start?.();
      expect(weightsOf(serving.ref().current.card)).toBe(weights(v1));
      const first = swapped();
      switchLink(join(dir, 'current'), 'v2');
      await first;
      expect(weightsOf(serving.ref().current.card)).toBe(weights(v2));
      // A model moved into the folder the link now names.
      const second = swapped();
      mkdirSync(join(dir, 'staging'));
      for (const ext of ['onnx', 'json']) {
        copyFileSync(`${v3}.${ext}`, join(dir, 'staging', `pump.${ext}`));
        renameSync(join(dir, 'staging', `pump.${ext}`), join(dir, 'v2', `pump.${ext}`));
      }
      await second;
      expect(weightsOf(serving.ref().current.card)).toBe(weights(v3));
    } finally {
      await serving.watch.stop?.();
      await serving.model.stop?.();
    }
  }, 60_000);
});
