/**
 * The dashboard's recording (dashboard/recording.ts): the recent closed alerts stay listed across a restart (a probe:
 * `vigil run --dashboard` restarted, its list read "no alerts yet" though an alert had closed a minute before), alerts
 * restored open from the state file are listed after them, and a recording that is not one is said and set aside.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../dashboard/server.ts';
import { RECORDING_SCHEMA, loadRecording } from '../../dashboard/recording.ts';
import type { OpenAlert } from '../../runtime/alerts/alert-bank.ts';
import type { AlertEvent, Verdict } from '../../runtime/stream/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-recording-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alert(type: 'open' | 'close', sensor: string, ts: number, extra: Partial<AlertEvent> = {}): AlertEvent {
  return { type, sensor, tsFirst: ts - 10, tsLast: ts, score: 5, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'test', ...extra };
}

function warnings(): { lines: string[]; log: { warn(o: object, m: string): void } } {
  const lines: string[] = [];
  return { lines, log: { warn: (_o, m) => void lines.push(m) } };
}

describe('dashboard recording', () => {
  it('lists the alerts closed before a restart after it, with the alerts restored open after them', async () => {
    const file = join(dir, 'state.json-dashboard.json');
    const first = { verdicts: new Subject<Verdict>(), alerts: new Subject<AlertEvent>() };
    const a = await startDashboard(first, { port: 0, recording: file });
    first.alerts.next(alert('open', 'pump-1', 1_000));
    first.alerts.next(alert('close', 'pump-1', 5_000, { peakScore: 7, critical: true, cause: 'stuck' }));
    first.alerts.next(alert('open', 'pump-2', 6_000));
    await a.close();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.schema).toBe(RECORDING_SCHEMA);
    // Only the closed one: pump-2's open alert comes back from the state file, not from here.
    expect(saved.alerts.map((s: { sensor: string }) => s.sensor)).toEqual(['pump-1']);

    const open: OpenAlert = { sensor: 'pump-2', openedAt: 6_000, critical: false, peak: { score: 4, threshold: 1, perChannel: [1], tsFirst: 5_000, tsLast: 6_000 } };
    const second = { verdicts: new Subject<Verdict>(), alerts: new Subject<AlertEvent>(), openAlerts: () => [open] };
    const { lines, log } = warnings();
    const b = await startDashboard(second, { port: 0, recording: file, log });
    try {
      const listed = b.store.recentAlerts(20);
      expect(listed.map((s) => [s.sensor, s.start, s.end])).toEqual([['pump-2', 6_000, null], ['pump-1', 1_000, 5_000]]);
      expect(listed[1]).toMatchObject({ peakScore: 7, critical: true, cause: 'stuck', causeChannel: 'a' });
      expect(lines).toEqual([]);
      // An alert closing in this run is saved with the last run's, in order, within the save delay.
      second.alerts.next(alert('close', 'pump-2', 9_000));
    } finally {
      await b.close();
    }
    expect(JSON.parse(readFileSync(file, 'utf8')).alerts.map((s: { sensor: string; end: number }) => [s.sensor, s.end])).toEqual([['pump-1', 5_000], ['pump-2', 9_000]]);
  });

  it('a recording that is not one is warned of, saying what was expected, and moved aside; none at all is no warning', () => {
    const { lines, log } = warnings();
    expect(loadRecording(join(dir, 'none.json'), log)).toEqual([]);
    expect(lines).toEqual([]);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schema: RECORDING_SCHEMA, savedAt: 1, alerts: [{ sensor: 'p', start: 'yesterday', end: 2 }] }));
    expect(loadRecording(bad, log)).toEqual([]);
    expect(lines[0]).toMatch(/dashboard recording not read: expected a vigil-dashboard-recording\/1 file, .*alerts\.0\.start.*moved to .*bad\.json-set-aside/);
    expect(existsSync(bad)).toBe(false);
    expect(existsSync(`${bad}-set-aside`)).toBe(true);

    const other = join(dir, 'other.json');
    writeFileSync(other, '{"schema":"vigil-dashboard-recording/9","alerts":[]}');
    expect(loadRecording(other, log)).toEqual([]);
    writeFileSync(join(dir, 'torn.json'), '{"schema":');
    expect(loadRecording(join(dir, 'torn.json'), log)).toEqual([]);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/other\.json-set-aside/), expect.stringMatching(/not JSON/)]);
  });
});
