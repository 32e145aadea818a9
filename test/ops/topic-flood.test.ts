/**
 * A topic flood must not lock out real sensors (issue 17.9), end to end in `vigil run`: 50,000 junk topics fill
 * window.maxSensors, then a new legitimate sensor still gets every window scored; the evictions are counted in
 * /metrics, logged (rate-limited) and degrade /health.
 */
import { describe, expect, it } from 'vitest';
import { Subject, filter, take, toArray, lastValueFrom, timeout } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { WARNING_INTERVAL_MS } from '../../runtime/util/rate-limited-warning.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { fileBroker } from './aedes.ts';
import { WINDOW, capturingLogger, readingJson, recordedModel, recordedSeries, testConfig, uniquePrefix } from './harness.ts';

const broker = fileBroker();

describe('topic flood', () => {
  it('50,000 junk topics, then a legitimate sensor: all of its windows are scored', { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix('flood');
    const input = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger('warn');
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel(), { metrics: { port: 0 }, window: { maxSensors: 10_000 } }), { logger, source: input });
    try {
      const rec = recordedSeries(WINDOW + 39, 0);
      const now = Date.now();
      const floodStart = performance.now();
      for (let j = 0; j < 50_000; j++) input.next({ topic: `${prefix}/junk-${j}/data`, payload: Buffer.from(readingJson(rec.ts[0], rec.values[0])), receivedAt: now });
      // The legitimate sensor's 40 windows (WINDOW + 39 readings), as in the field report.
      const scored = lastValueFrom(handle.verdicts.pipe(filter((v) => v.sensor === 'pump-1'), take(40), toArray(), timeout(30_000)));
      for (let i = 0; i < WINDOW + 39; i++) input.next({ topic: `${prefix}/pump-1/data`, payload: Buffer.from(readingJson(rec.ts[i], rec.values[i])), receivedAt: Date.now() });
      expect((await scored).length).toBe(40);
      expect(handle.counters).toMatchObject({ sensorLimit: 0, evictedFull: 40_001, activeSensors: 10_000 });

      const metrics = await (await fetch(`${handle.opsUrl}/metrics`)).text();
      expect(metrics).toContain('vigil_sensors_evicted_full_total 40001');
      const health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { dropped: { total: unknown } }).dropped.total).toMatchObject({ evicted_full: 40_001 });
      // Rate-limited: the first eviction at once, the rest summed at each WARNING_INTERVAL_MS's end (on a loaded machine
      // the flood outlasted one: a second line, of 40,000, before the stop), so one line more at most per interval gone.
      const evictionLines = lines.filter((l) => l.evicted !== undefined);
      expect(evictionLines[0]).toEqual(expect.objectContaining({ evicted: 1, sensors: { 'junk-0': 1 }, msg: expect.stringContaining('window.admission') }));
      expect(evictionLines.length).toBeLessThanOrEqual(1 + Math.floor((performance.now() - floodStart) / WARNING_INTERVAL_MS));
    } finally {
      await handle.stop();
    }
    expect(lines.filter((l) => l.evicted !== undefined).reduce((a, l) => a + (l.evicted as number), 0)).toBe(40_001);
  });
});
