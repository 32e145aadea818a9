/**
 * The journal of alert states beside a state file that cannot be used (runtime/thresholds/store.ts `loadStates`). Its
 * lines hold whole alert and silence states, so over a spoilt file whose header still names the save they follow they
 * apply onto the empty start: open alerts and maintenance resume (before, the journal was ignored with the file, and
 * the first full save removed it: the alerts it kept open were never closed). One that cannot be tied to such a file
 * is set aside and said, not removed unseen.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { AlertJournal, alertJournalPath, type AlertStates } from '../../runtime/thresholds/alert-journal.ts';
import { loadStates, saveStates, type SensorState } from '../../runtime/thresholds/store.ts';
import type { AlertTrackerState } from '../../runtime/alerts/tracker.ts';

const closed: AlertTrackerState = { recent: [0], lastTs: 9, lastClosedAt: 9 };
const open: AlertTrackerState = { recent: [1], lastTs: 5, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };
const muted: AlertTrackerState = { ...closed, maintenance: { from: 1, until: 9e12, by: 'ops@test' } };

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-journal-unusable-'));
  path = join(dir, 'state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sensors(n: number): Map<string, SensorState> {
  const m = new Map<string, SensorState>();
  for (let i = 0; i < n; i++) m.set(`pump-${i}`, { threshold: createThreshold({ kind: 'static', value: 1 }).toJSON(), alert: closed });
  return m;
}

/** A full save, then a journal after it: pump-1's alert open, pump-2 under maintenance. */
async function savedThenJournaled(): Promise<Awaited<ReturnType<typeof saveStates>>> {
  const saved = await saveStates(path, sensors(3));
  const now = new Map<string, AlertStates>([['pump-1', { alert: open }], ['pump-2', { alert: muted }]]);
  const journal = new AlertJournal(alertJournalPath(path), (s) => now.get(s));
  journal.note('pump-1');
  journal.note('pump-2');
  await journal.write(saved);
  return saved;
}

/** Spoil the file's payload in place, its header left as written (a flipped bit on the flash). */
function spoilPayload(): void {
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf('"recent":[0]');
  writeFileSync(path, `${text.slice(0, at)}"recent":[7]${text.slice(at + 12)}`);
}

const setAsideJournals = () => readdirSync(dir).filter((f) => f.startsWith('state.json-alert-states.json.corrupt-'));

describe('the journal beside a state file that cannot be used', () => {
  it("applies onto the empty start when the spoilt file's header names the save it follows: open alerts and maintenance resume", async () => {
    await savedThenJournaled();
    spoilPayload();
    const loaded = loadStates(path);
    expect(loaded.problem).toMatch(/checksum does not match.*; the alert and silence states of 2 sensor\(s\) journaled after it are restored$/);
    expect(loaded.setAside).toBeDefined();
    expect(loaded.journaled).toBe(2);
    // Their thresholds start fresh with the rest; pump-0, in the file alone, is lost with it.
    expect(Object.fromEntries(loaded.states)).toEqual({ 'pump-1': { alert: open }, 'pump-2': { alert: muted } });
    expect(loaded.journalProblem).toBeUndefined();
  });

  it('sets it aside, saying why, when the spoilt file has no header that reads', async () => {
    await savedThenJournaled();
    writeFileSync(path, '{}'); // a script's `echo '{}' > state.json`
    const loaded = loadStates(path);
    expect(loaded.states.size).toBe(0);
    expect(loaded.journalProblem).toMatch(/alert states not restored: the unusable state file's header does not say which full save it was; set aside as .*alert-states\.json\.corrupt-/);
    expect(existsSync(alertJournalPath(path))).toBe(false);
    expect(setAsideJournals()).toHaveLength(1);
  });

  it('sets it aside when the spoilt file is a later save than the one it follows (a kill before its removal)', async () => {
    await savedThenJournaled();
    await saveStates(path, sensors(4));
    spoilPayload();
    const loaded = loadStates(path);
    expect([loaded.states.size, loaded.journaled]).toEqual([0, undefined]);
    expect(loaded.journalProblem).toMatch(/it follows another full save than the unusable state file \(an older one\); set aside as /);
    expect(setAsideJournals()).toHaveLength(1);
  });

  it('sets it aside when the state file it follows is not there', async () => {
    await savedThenJournaled();
    rmSync(path);
    const loaded = loadStates(path);
    expect([loaded.problem, loaded.states.size]).toEqual([undefined, 0]);
    expect(loaded.journalProblem).toMatch(/the state file it follows is not there; set aside as /);
    expect(setAsideJournals()).toHaveLength(1);
  });
});
