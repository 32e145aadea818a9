/**
 * Nothing dropped silently (issue 17.8): readings the window stage drops are logged per reason, rate-limited, with
 * the sensor and the count (the lines add up to the counter); the dashboard's status carries the drop counts; and
 * /health degrades (503) while the share of readings dropped passes `health.maxDropRate`.
 */
import { describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { fileBroker } from './aedes.ts';
import { WINDOW, capturingLogger, rawMessage as msg, readingJson, recordedModel, recordedSeries, testConfig, uniquePrefix, within } from './harness.ts';

const broker = fileBroker();

describe('drops are reported', () => {
  it('logs each reason with sensor and count, shows the counts on the dashboard, and degrades /health past the rate', async () => {
    const prefix = uniquePrefix('drops');
    const input = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger();
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel(), { metrics: { port: 0 }, health: { maxDropRate: 0.1 } }), { logger, source: input });
    try {
      const rec = recordedSeries(WINDOW + 1, 0);
      const judged = within(handle.verdicts, 5000, 'a verdict');
      for (let i = 0; i < WINDOW; i++) input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i])));
      await judged;
      // Healthy so far: nothing dropped.
      let health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(200);

      // Exact repeats of readings already judged (QoS 1 redelivery) are duplicates: no drop, no line, /health ok.
      // (The first repeat shows disorder, so the reorder stage holds the sensor's next reading up to window.reorderMs.)
      for (let i = 0; i < WINDOW; i++) input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i])));
      await vi.waitFor(() => expect(handle.counters.duplicates).toBe(WINDOW), { timeout: 5000 });
      health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { dropped: unknown }).dropped).toMatchObject({ rate: 0, total: {} });

      // One timestamp repeated with another value in 33 readings (3 %) stays under the 10 % bound; it is logged at once all the same.
      input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[WINDOW - 1], 1)));
      const dupLines = () => lines.filter((l) => l.reason === 'timestamp_conflict');
      await vi.waitFor(() => expect(handle.counters.timestampConflicts).toBe(1), { timeout: 5000 });
      expect(dupLines()).toEqual([expect.objectContaining({ level: 40, dropped: 1, sensors: { 'pump-1': 1 }, msg: expect.stringContaining('1 reading(s) dropped (timestamp_conflict)') })]);
      health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(200);

      // Two more and an out-of-order reading: 4 of 36 (11 %) pass the bound.
      input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[WINDOW - 1], 1)));
      input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[WINDOW - 1], 1)));
      input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[0], 1)));
      await vi.waitFor(() => expect(handle.counters.timestampConflicts + handle.counters.outOfOrder).toBe(4), { timeout: 5000 });
      health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(503);
      const report = (await health.json()) as { dropped: { rate: number } };
      expect(report).toMatchObject({ status: 'degraded', dropped: { degraded: true, maxRate: 0.1, total: { timestamp_conflict: 3, out_of_order: 1 } } });
      expect(report.dropped.rate).toBeCloseTo(4 / 36, 6);
      expect(lines.filter((l) => l.reason === 'out_of_order')).toEqual([expect.objectContaining({ dropped: 1, sensors: { 'pump-1': 1 } })]);

      // The dashboard shows the same counts.
      expect(runtimeFeed(handle).status!().dropped).toEqual({ timestamp_conflict: 3, out_of_order: 1 });
    } finally {
      await handle.stop();
    }
    // The rest were summed into a line at stop: the lines add up to the counter.
    expect(lines.filter((l) => l.reason === 'timestamp_conflict').reduce((a, l) => a + (l.dropped as number), 0)).toBe(3);
    expect(lines.filter((l) => l.reason === 'duplicate')).toEqual([]);
  });

  it('says when readings went missing upstream: a gap in a sensor\'s timestamps is counted, logged, degrades /health, and restarts a window it would span', async () => {
    // A model that knows its training interval (the recorded series' step, 5 min).
    const model = recordedModel();
    // LEAD more readings first: a sensor's pace is judged (and its gaps counted) from its 16th step.
    const LEAD = 8;
    const rec = recordedSeries(3 * WINDOW + LEAD, 0);
    const step = rec.ts[1] - rec.ts[0];
    const cardFile = `${model}.json`;
    const card = JSON.parse(readFileSync(cardFile, 'utf8')) as Record<string, unknown>;
    card.data = { sha256: '0'.repeat(64), hash: 'test', rows: 1000, from: new Date(rec.ts[0]).toISOString(), to: new Date(rec.ts[1]).toISOString(), intervalMs: step };
    writeFileSync(cardFile, JSON.stringify(card));
    const prefix = uniquePrefix('gaps');
    const input = new Subject<RawMessage>();
    const { lines, logger } = capturingLogger();
    const handle = await startRuntime(testConfig(broker.url, prefix, model, { metrics: { port: 0 }, health: { maxDropRate: 0.1 } }), { logger, source: input });
    try {
      const send = (i: number) => input.next(msg(`${prefix}/pump-1/data`, readingJson(rec.ts[i], rec.values[i])));
      for (let i = 0; i < WINDOW + LEAD; i++) send(i);
      await vi.waitFor(() => expect(handle.counters.scored).toBe(LEAD + 1), { timeout: 5000 });
      expect(handle.counters.readingsMissing).toBe(0);
      expect((await fetch(`${handle.opsUrl}/health`)).status).toBe(200);
      // WINDOW readings never arrive (a broker's queue overflowed): the next one skips WINDOW of them.
      send(2 * WINDOW + LEAD);
      await vi.waitFor(() => expect(handle.counters.readingsMissing).toBe(WINDOW), { timeout: 5000 });
      expect(handle.counters).toMatchObject({ readingGaps: 1, gapResets: 1 });
      const gapLines = lines.filter((l) => l.missing !== undefined);
      expect(gapLines).toEqual([expect.objectContaining({ level: 40, missing: WINDOW, sensors: { 'pump-1': WINDOW }, msg: expect.stringContaining(`${WINDOW} reading(s) missing`) })]);
      expect(gapLines[0].longest).toMatchObject({ sensor: 'pump-1', from: rec.ts[WINDOW + LEAD - 1], to: rec.ts[2 * WINDOW + LEAD], missing: WINDOW, windowReset: true });
      // 16 missing against 25 read: /health degraded, saying why.
      const health = await fetch(`${handle.opsUrl}/health`);
      expect(health.status).toBe(503);
      const report = (await health.json()) as { dropped: { missing: { rate: number; readings: number; gaps: number } } };
      expect(report.dropped.missing).toMatchObject({ readings: WINDOW, gaps: 1 });
      expect(report.dropped.missing.rate).toBeCloseTo(WINDOW / (2 * WINDOW + LEAD + 1), 6);
      // The window restarted: no window spans the gap; the next one is scored after WINDOW readings past it.
      for (let i = 2 * WINDOW + LEAD + 1; i < 3 * WINDOW + LEAD; i++) send(i);
      await vi.waitFor(() => expect(handle.counters.scored).toBe(LEAD + 2), { timeout: 5000 });
      const metrics = await (await fetch(`${handle.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`vigil_readings_missing_total ${WINDOW}\\b`));
      expect(metrics).toMatch(/vigil_reading_gaps_total 1\b/);
    } finally {
      await handle.stop();
    }
  });
});
