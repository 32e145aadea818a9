/**
 * A state file that cannot be saved is logged once per interval at most, however many saves fail, and saving again
 * is said (a field probe: a full disk logged an error for every alert event's save as well as every interval's).
 */
import { describe, expect, it, vi } from 'vitest';
import { stateSaves } from '../../runtime/ops/state-saves.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import type { ThresholdStore } from '../../runtime/thresholds/threshold-store.ts';
import { capturingLogger } from './harness.ts';

describe('state saves that fail', () => {
  it('one error line for a run of failures, counted; one info line when a save works again', async () => {
    let full = true;
    const store = { path: '/state/vigil-state.json', saveNow: async () => { if (full) throw new Error('ENOSPC: no space left on device, write'); } } as unknown as ThresholdStore;
    const edge = createEdgeCounters();
    const { lines, logger } = capturingLogger();
    const saves = stateSaves(store, { intervalMs: 0, alertSaveMs: 1000, edge, log: logger, report: () => {} });
    for (let i = 0; i < 10; i++) await saves.persist();
    expect(edge.statePersistFailures).toBe(10);
    expect(lines.filter((l) => l.msg === 'threshold state not saved')).toEqual([expect.objectContaining({ level: 50, file: store.path, err: expect.stringMatching(/ENOSPC/), failures: 1 })]);
    full = false;
    await saves.persist();
    const after = lines.filter((l) => /threshold state (not saved|saved again)/.test(String(l.msg)));
    // The nine held back are reported before the recovery, with their count; every failure is in a line.
    expect(after.map((l) => [l.msg, l.failures ?? l.failedSaves])).toEqual([['threshold state not saved', 1], ['threshold state not saved', 9], ['threshold state saved again', 10]]);
    expect(edge.stateSaveError).toBeNull();
    await saves.stop();
  });

  it('at most one error line per state.intervalMs when it is longer than the usual 10 s (a review: two lines an interval)', async () => {
    vi.useFakeTimers();
    try {
      const store = { path: '/state/s.json', saveNow: async () => { throw new Error('ENOSPC'); } } as unknown as ThresholdStore;
      const { lines, logger } = capturingLogger();
      const saves = stateSaves(store, { intervalMs: 60_000, alertSaveMs: 1000, edge: createEdgeCounters(), log: logger, report: () => {} });
      const failedLines = () => lines.filter((l) => l.msg === 'threshold state not saved').length;
      await saves.persist();
      vi.advanceTimersByTime(15_000);
      await saves.persist();
      expect(failedLines()).toBe(1);
      vi.advanceTimersByTime(50_000);
      expect(lines.filter((l) => l.msg === 'threshold state not saved').map((l) => l.failures)).toEqual([1, 1]);
    } finally {
      vi.useRealTimers();
    }
  });
});
