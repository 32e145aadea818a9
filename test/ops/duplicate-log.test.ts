/**
 * Duplicates are no drops, but not silent either: a recording replayed twice into a running vigil was refused reading
 * by reading with nothing in the log (only vigil_readings_duplicate_total said so). They get a rate-limited info line
 * naming the sensors and counts.
 */
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { fileBroker } from './aedes.ts';
import { WINDOW, capturingLogger, rawMessage as msg, readingJson, recordedModel, recordedSeries, testConfig, uniquePrefix } from './harness.ts';

const broker = fileBroker();

describe('duplicate readings', () => {
  it('are said in the log, with their sensor and count, at info level; nothing is judged twice', async () => {
    const prefix = uniquePrefix('dups');
    const rec = recordedSeries(WINDOW + 4, 0);
    const input = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger();
    const h = await startRuntime(testConfig(broker.url, prefix, recordedModel()), { logger, source: input });
    const send = (i: number) => input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i])));
    try {
      for (let i = 0; i < WINDOW + 4; i++) send(i);
      await vi.waitFor(() => expect(h.counters.scored).toBe(5), { timeout: 5000 });
      // The last three again, as a gateway resending its buffer (or a replay started over) sends them.
      for (let i = WINDOW + 1; i < WINDOW + 4; i++) send(i);
      await vi.waitFor(() => expect(h.counters.duplicates).toBe(3), { timeout: 5000 });
    } finally {
      await h.stop();
    }
    expect(h.counters.scored).toBe(5);
    // The first at once, the rest within the interval (here: at the stop), each line with its own count.
    const said = lines.filter((l) => l.duplicates !== undefined);
    expect(said.length).toBeGreaterThan(0);
    expect(said.reduce((a, l) => a + (l.duplicates as number), 0)).toBe(3);
    for (const l of said) expect(l).toMatchObject({ level: 30, sensors: { 'pump-1': l.duplicates }, sensorCount: 1, msg: expect.stringContaining('not judged again') });
  });
});
