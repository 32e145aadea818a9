/**
 * A state file that cannot be saved is logged once per interval at most, however many saves fail, and saving again
 * is said (a field probe: a full disk logged an error for every alert event's save as well as every interval's).
 */
import { describe, expect, it, vi } from 'vitest';
import { stateSaves } from '../../runtime/ops/state-saves.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import type { ThresholdStore } from '../../runtime/thresholds/threshold-store.ts';
import { capturingLogger } from './harness.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThresholdStore as Store } from '../../runtime/thresholds/threshold-store.ts';
import { AlertJournal, alertJournalPath } from '../../runtime/thresholds/alert-journal.ts';
import { loadStates, type SensorState } from '../../runtime/thresholds/store.ts';
import type { AlertTrackerState } from '../../runtime/alerts/tracker.ts';

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

  it('at the stop, a last full save that fails leaves the alert states changed since the last line in the journal', async () => {
    // A full disk: the 1.5 MB full save fails where the journal's line of a few hundred bytes still fits. The stop
    // dropped the save its last alert events had asked for, so a restart resumed them as before those events.
    const path = join(mkdtempSync(join(tmpdir(), 'vigil-stop-saves-')), 'state.json');
    const closed: AlertTrackerState = { recent: [0], lastTs: 9, lastClosedAt: 9 };
    const open: AlertTrackerState = { ...closed, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };
    const live = new Map<string, SensorState>(['pump-1', 'pump-2'].map((s) => [s, { threshold: { kind: 'static', config: { value: 1 }, state: {} }, alert: closed }]));
    let diskFull = false;
    const store = new Store(path, () => {
      if (diskFull) throw new Error('ENOSPC: no space left on device, write');
      return live;
    }, { journal: new AlertJournal(alertJournalPath(path), (s) => ({ alert: live.get(s)!.alert })) });
    const edge = createEdgeCounters();
    // A gap longer than the test: the second event's save waits for it, and the stop takes it over.
    const saves = stateSaves(store, { intervalMs: 0, alertSaveMs: 600_000, edge, log: capturingLogger().logger, report: () => {} });
    await saves.persist();
    diskFull = true;
    live.get('pump-1')!.alert = open;
    saves.persistSoon('pump-1');
    await vi.waitFor(() => expect(edge.statePersists).toBe(2));
    live.get('pump-2')!.alert = open;
    saves.persistSoon('pump-2');
    await saves.stop();
    const restart = loadStates(path);
    expect(['pump-1', 'pump-2'].map((s) => restart.states.get(s)?.alert)).toEqual([open, open]);
  });
});
