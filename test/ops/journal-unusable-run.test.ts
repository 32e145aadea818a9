/**
 * vigil run over a state file that cannot be used, with the journal of alert states written after it
 * (runtime/thresholds/store.ts `loadStates`): the open alert and the maintenance the journal kept resume (before, the
 * journal was ignored with the file and removed by the first full save: an alert left open for good at its consumer),
 * and that save takes them over, so a later restart reads them from the full file alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { AlertJournal, alertJournalPath, type AlertStates } from '../../runtime/thresholds/alert-journal.ts';
import { loadStates, saveStates, type SensorState } from '../../runtime/thresholds/store.ts';
import type { AlertTrackerState } from '../../runtime/alerts/tracker.ts';
import { fileBroker } from './aedes.ts';
import { capturingLogger, recordedModel, testConfig, uniquePrefix } from './harness.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

const broker = fileBroker();
const closed: AlertTrackerState = { recent: [0], lastTs: 9, lastClosedAt: 9 };
const open: AlertTrackerState = { recent: [1], lastTs: 5, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };
const muted: AlertTrackerState = { ...closed, maintenance: { from: 1, until: Date.now() + 3_600_000, by: 'ops@test' } };

describe('vigil run over a spoilt state file and its journal', () => {
  it('resumes the open alert and the maintenance the journal kept, and its first full save takes them', async () => {
    const cfg = testConfig(broker.url, uniquePrefix('state-journal'), recordedModel());
    const path = cfg.state.file!;
    const full: Record<string, SensorState> = {};
    for (const s of ['pump-0', 'pump-1', 'pump-2']) full[s] = { threshold: createThreshold({ kind: 'static', value: 1 }).toJSON(), alert: closed };
    const saved = await saveStates(path, full);
    const now = new Map<string, AlertStates>([['pump-1', { alert: open }], ['pump-2', { alert: muted }]]);
    const journal = new AlertJournal(alertJournalPath(path), (s) => now.get(s));
    journal.note('pump-1');
    journal.note('pump-2');
    await journal.write(saved);
    // A byte of the payload spoilt on the flash; the header still names the save.
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, `${text.slice(0, -4)}x${text.slice(-3)}`);

    const { lines, logger } = capturingLogger('warn');
    const handle = await startRuntime(cfg, { logger });
    try {
      expect(handle.health()).toMatchObject({ alertsOpen: 1, sensorsInMaintenance: 1 });
      const warned = lines.find((l) => l.msg === 'threshold state not restored');
      expect(warned?.problem).toMatch(/the alert and silence states of 2 sensor\(s\) journaled after it are restored/);
      await waitFor(() => !existsSync(alertJournalPath(path)), 'the first full save took the journal over', 5000);
    } finally {
      await handle.stop();
    }
    const again = loadStates(path);
    expect([again.problem, again.journaled]).toEqual([undefined, undefined]);
    expect(again.states.get('pump-1')?.alert?.open?.openedAt).toBe(1);
    expect(again.states.get('pump-2')?.alert?.maintenance?.by).toBe('ops@test');
  });
});
