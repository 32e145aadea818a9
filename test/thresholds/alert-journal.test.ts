/**
 * Alert states between full saves (runtime/thresholds/alert-journal.ts): an alert event's save writes the changed
 * sensors' alert states beside the state file instead of rewriting every sensor's state (1.5 MB a second at 1,000
 * sensors in an alert storm, and most of the storm's RSS). A load applies them over the full file they follow, and
 * only that one.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { AlertJournal, alertJournalPath, type AlertStates } from '../../runtime/thresholds/alert-journal.ts';
import { loadStates, saveStates, type SensorState } from '../../runtime/thresholds/store.ts';
import { ThresholdStore } from '../../runtime/thresholds/threshold-store.ts';
import type { AlertTrackerState } from '../../runtime/alerts/tracker.ts';

const open: AlertTrackerState = { recent: [1], lastTs: 5, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };
const closed: AlertTrackerState = { recent: [0], lastTs: 9, lastClosedAt: 9 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sensors(n: number, alert?: AlertTrackerState): Map<string, SensorState> {
  const m = new Map<string, SensorState>();
  for (let i = 0; i < n; i++) m.set(`pump-${i}`, { threshold: createThreshold({ kind: 'static', value: 1 }).toJSON(), ...(alert ? { alert } : {}) });
  return m;
}

describe('the journal of alert states', () => {
  it('is applied over the full file it follows, and replaces only the alert states of the sensors it names', async () => {
    const path = join(dir, 'state.json');
    const full = sensors(3, closed);
    const saved = await saveStates(path, full);
    const now = new Map<string, AlertStates>([['pump-1', { alert: open }]]);
    const journal = new AlertJournal(alertJournalPath(path), (s) => now.get(s));
    journal.note('pump-1');
    expect(await journal.write(saved)).toBe(1);
    const loaded = loadStates(path);
    expect(loaded.journaled).toBe(1);
    expect(loaded.states.get('pump-1')).toEqual({ threshold: full.get('pump-1')!.threshold, alert: open });
    expect(loaded.states.get('pump-0')).toEqual(full.get('pump-0'));
    expect(loaded.states.size).toBe(3);
  });

  it('is ignored when a later full save replaced the file it follows (a kill between the two writes)', async () => {
    const path = join(dir, 'state.json');
    const first = await saveStates(path, sensors(2, closed));
    const journal = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    journal.note('pump-0');
    await journal.write(first);
    // The full file is written again (with pump-0 closed in it) and the kill comes before the journal is removed.
    await saveStates(path, sensors(2, { ...closed, lastTs: 10 }));
    const loaded = loadStates(path);
    expect(loaded.journaled).toBeUndefined();
    expect(loaded.states.get('pump-0')?.alert).toEqual({ ...closed, lastTs: 10 });
  });

  it('is ignored when a later full save wrote the same states (the same checksum) and the kill came before its removal', async () => {
    // Keyed by the payload's checksum alone, this journal passed for the later file's, and pump-0's alert opened again.
    const path = join(dir, 'state.json');
    const states = sensors(2, closed);
    const first = await saveStates(path, states);
    const journal = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    journal.note('pump-0');
    await journal.write(first);
    // pump-0's alert closed again before the next full save, and nothing else changed: every state as in the first.
    const second = await saveStates(path, states);
    expect(second.sha256).toBe(first.sha256);
    const loaded = loadStates(path);
    expect(loaded.journaled).toBeUndefined();
    expect(loaded.states.get('pump-0')?.alert).toEqual(closed);
  });

  it("is ignored over another model's full save of the same (empty) payload", async () => {
    // Every full save of no sensor has one checksum: a start under a retrained model saves at once, before any reading,
    // and a kill before the old journal's removal left the old model's alert states to be applied under the new one.
    const path = join(dir, 'state.json');
    const before = { name: 'pump-ae', version: '1', weights: 'a'.repeat(64) };
    const after = { name: 'pump-ae', version: '2', weights: 'b'.repeat(64) };
    const first = await saveStates(path, new Map(), before);
    const journal = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    journal.note('pump-3');
    await journal.write(first);
    const second = await saveStates(path, new Map(), after);
    expect(second.sha256).toBe(first.sha256);
    const loaded = loadStates(path, after);
    expect([loaded.problem, loaded.journaled, loaded.states.size]).toEqual([undefined, undefined, 0]);
  });

  it('applies a journal written before save ids over a file written before them (by its checksum, as then)', async () => {
    const path = join(dir, 'state.json');
    const full = sensors(2, closed);
    const { sha256 } = await saveStates(path, full);
    // The file's header and the journal's as an older vigil wrote them: no save id.
    const [head, payload] = readFileSync(path, 'utf8').split('\n');
    const { saveId: _id, ...older } = JSON.parse(head) as Record<string, unknown>;
    writeFileSync(path, `${JSON.stringify(older)}\n${payload}\n`);
    const json = JSON.stringify({ 'pump-1': { alert: open } });
    const line = `${createHash('sha256').update(json).digest('hex')} ${json}`;
    writeFileSync(alertJournalPath(path), `${JSON.stringify({ format: 'vigil-alert-states', version: 1, base: sha256 })}\n${line}\n`);
    const loaded = loadStates(path);
    expect([loaded.problem, loaded.saveId, loaded.journaled]).toEqual([undefined, undefined, 1]);
    expect(loaded.states.get('pump-1')?.alert).toEqual(open);
  });

  it('appends a line per write, and a torn last line (a kill while appending) is left out and said', async () => {
    const path = join(dir, 'state.json');
    const saved = await saveStates(path, sensors(3, closed));
    const now = new Map<string, AlertStates>([['pump-0', { alert: open }]]);
    const journal = new AlertJournal(alertJournalPath(path), (s) => now.get(s));
    journal.note('pump-0');
    await journal.write(saved);
    const first = readFileSync(alertJournalPath(path), 'utf8');
    // The second write appends only what was noted since the first: pump-0 closed again, pump-2 opened.
    now.set('pump-0', { alert: closed }).set('pump-2', { alert: open });
    journal.note('pump-0');
    journal.note('pump-2');
    expect(await journal.write(saved)).toBe(2);
    const text = readFileSync(alertJournalPath(path), 'utf8');
    expect(text.startsWith(first)).toBe(true);
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
    const whole = loadStates(path);
    expect([whole.states.get('pump-0')?.alert, whole.states.get('pump-2')?.alert]).toEqual([closed, open]);
    expect(whole.journalProblem).toBeUndefined();

    writeFileSync(alertJournalPath(path), text.slice(0, text.length - 20));
    const torn = loadStates(path);
    expect(torn.journalProblem).toMatch(/line 3 checksum does not match \(torn or edited\): 1 line\(s\) from there left out, the 1 before it used/);
    expect(torn.problem).toBeUndefined();
    expect([torn.states.get('pump-0')?.alert, torn.states.get('pump-2')?.alert]).toEqual([open, closed]);
  });

  it("keeps a previous run's sound lines when its journal ends torn (a kill while appending)", async () => {
    const path = join(dir, 'state.json');
    const saved = await saveStates(path, sensors(3, closed));
    const before = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    before.note('pump-0');
    await before.write(saved);
    before.note('pump-1');
    await before.write(saved);
    const whole = readFileSync(alertJournalPath(path), 'utf8');
    // Killed while appending a third line: part of it is on disk, without its newline.
    writeFileSync(alertJournalPath(path), `${whole}${whole.split('\n')[1].slice(0, 40)}`);
    const restarted = loadStates(path);
    expect([restarted.states.get('pump-0')?.alert, restarted.states.get('pump-1')?.alert]).toEqual([open, open]);
    // The restarted run (pump-0 and pump-1 open, as restored) writes its first line; a kill before its first full save.
    const after = new AlertJournal(alertJournalPath(path), (s) => ({ alert: s === 'pump-2' ? open : restarted.states.get(s)!.alert! }));
    after.note('pump-2');
    await after.write(saved);
    const again = loadStates(path);
    expect(again.journalProblem).toBeUndefined();
    expect(['pump-0', 'pump-1', 'pump-2'].map((s) => again.states.get(s)?.alert)).toEqual([open, open, open]);
  });

  it("appends to a previous run's journal of the same full file rather than replacing it", async () => {
    const path = join(dir, 'state.json');
    const saved = await saveStates(path, sensors(2, closed));
    const before = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    before.note('pump-0');
    await before.write(saved);
    // A restart whose first full save has not happened (or failed): its lines follow the same file.
    const after = new AlertJournal(alertJournalPath(path), () => ({ alert: open }));
    after.note('pump-1');
    await after.write(saved);
    const loaded = loadStates(path);
    expect([loaded.states.get('pump-0')?.alert, loaded.states.get('pump-1')?.alert]).toEqual([open, open]);
  });

  it('writes a sensor gone since as without alert states', async () => {
    const path = join(dir, 'state.json');
    const saved = await saveStates(path, sensors(2, open));
    const journal = new AlertJournal(alertJournalPath(path), () => undefined);
    journal.note('pump-1');
    await journal.write(saved);
    const loaded = loadStates(path);
    expect(loaded.states.get('pump-1')?.alert).toBeUndefined();
    expect(loaded.states.get('pump-1')?.threshold).toBeDefined();
    expect(loaded.states.get('pump-0')?.alert).toEqual(open);
  });
});

describe('ThresholdStore.saveAlerts', () => {
  it('leaves the full file alone, writes the noted sensors, and a full save takes them and removes the journal', async () => {
    const path = join(dir, 'state.json');
    const live = sensors(200, closed);
    const journal = new AlertJournal(alertJournalPath(path), (s) => ({ alert: live.get(s)!.alert }));
    const store = new ThresholdStore(path, () => live, { journal });
    // No full file yet: the first alert save is a full one (a journal must follow a file).
    await store.saveAlerts();
    expect(existsSync(alertJournalPath(path))).toBe(false);
    const full = readFileSync(path, 'utf8');
    const mtime = statSync(path).mtimeMs;

    live.get('pump-7')!.alert = open;
    journal.note('pump-7');
    await store.saveAlerts();
    expect(readFileSync(path, 'utf8')).toBe(full);
    expect(statSync(path).mtimeMs).toBe(mtime);
    const size = statSync(alertJournalPath(path)).size;
    expect(size).toBeLessThan(full.length / 20);
    expect(loadStates(path).states.get('pump-7')?.alert).toEqual(open);

    // Noted sensors accumulate until a full save: a second event's save still carries the first one's sensor.
    live.get('pump-9')!.alert = open;
    journal.note('pump-9');
    await store.saveAlerts();
    const both = loadStates(path);
    expect([both.states.get('pump-7')?.alert, both.states.get('pump-9')?.alert]).toEqual([open, open]);
    expect(both.journaled).toBe(2);

    await store.saveNow();
    expect(existsSync(alertJournalPath(path))).toBe(false);
    expect(journal.pending).toBe(0);
    expect(loadStates(path).states.get('pump-9')?.alert).toEqual(open);
  });

  it('keeps the noted sensors for the next write when a full save fails', async () => {
    const path = join(dir, 'state.json');
    const live = sensors(3, closed);
    const journal = new AlertJournal(alertJournalPath(path), (s) => ({ alert: live.get(s)!.alert }));
    let fail = false;
    const store = new ThresholdStore(path, () => {
      if (fail) throw new Error('collect failed');
      return live;
    }, { journal });
    await store.saveNow();
    journal.note('pump-2');
    fail = true;
    await expect(store.saveNow()).rejects.toThrow('collect failed');
    expect(journal.pending).toBe(1);
    live.get('pump-2')!.alert = open;
    await store.saveAlerts();
    expect(loadStates(path).states.get('pump-2')?.alert).toEqual(open);
  });
});
