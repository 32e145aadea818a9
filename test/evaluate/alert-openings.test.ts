/**
 * Alerts judged where they open (evaluate/labels/metrics.ts): a false alert is one that opens on normal data, an event
 * is detected by an alert that opens in it or within the tolerance after it, each opening detects one event, and
 * --from does not turn an alert already open into an opening.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countFalseAlerts, evaluateAlerts, falseAlertsPerDay, poolMetrics } from '../../evaluate/labels/metrics.ts';
import { formatLabelMetrics } from '../../evaluate/labels/report.ts';
import { run } from '../../evaluate/cli.ts';
import { T0, tmpFile, ts } from './label-files.ts';

describe('alerts judged where they open', () => {
  it('counts false alerts: alerts that open on a normal row, not in an event and not on an ignored row, per day of normal data', () => {
    const ts = Float64Array.from({ length: 12 }, (_, i) => T0 + i * 60_000);
    // Runs: rows 0-1 (false), 4-5 (opens in the event at 4), 7 (false), 10-11 (opens on ignored row 10).
    const alert = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1]);
    const label = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const ignore = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(countFalseAlerts(alert, label, ignore)).toBe(2);
    expect(countFalseAlerts(alert, label)).toBe(3);
    // An alert still open at the last row counts too.
    expect(countFalseAlerts(Uint8Array.from([0, 1, 1]), new Uint8Array(3))).toBe(1);
    const m = evaluateAlerts(ts, alert, label, [{ start: T0 + 240_000, end: T0 + 240_000 }], 0, ignore);
    expect(m.falseAlerts).toBe(2);
    // 10 normal rows judged (row 4 is the event, row 10 ignored), one minute apart: 2 false alerts in 10 minutes.
    expect(m.normalMs).toBe(600_000);
    expect(falseAlertsPerDay(m)).toBeCloseTo(288, 9);
    const pooled = poolMetrics([m, m]);
    expect([pooled.falseAlerts, pooled.normalMs]).toEqual([4, 1_200_000]);
    // The daily figure says what it is extrapolated from (a probe read "205 per day" off 7 minutes of normal data).
    expect(formatLabelMetrics(m, 'x')).toMatch(/false alerts\s+2 \(288 per day at this rate, over 10\.0 min of normal data\)/);
    // Within --tolerance after the event, an alert detects it and is no false alert besides (a probe: counted both ways).
    const late = evaluateAlerts(ts, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), label, [{ start: T0 + 240_000, end: T0 + 240_000 }], 180_000);
    expect([late.eventsDetected, late.falseAlerts]).toEqual([1, 0]);
    // An alert that opened the row before the event and runs through it: false where it opened, the event missed (a
    // review: counted as a detection at delay 0 and no false alert, however long it had been open).
    const early = evaluateAlerts(ts, Uint8Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]), label, [{ start: T0 + 240_000, end: T0 + 240_000 }]);
    expect([early.eventsDetected, early.falseAlerts, early.tp]).toEqual([0, 1, 1]);
    expect(evaluateAlerts(ts, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), label, [{ start: T0 + 240_000, end: T0 + 240_000 }]).falseAlerts).toBe(1);
  });

  it('--from: an alert already open on the row before is no opening on its first row (a review: counted as detecting at delay 0)', async () => {
    const file = tmpFile('from-open.csv', ['timestamp,score,alert,label', ...Array.from({ length: 10 }, (_, i) => `${ts(i)},${i < 6 ? 1 : 0},${i < 6 ? 1 : 0},${i >= 2 && i <= 5 ? 1 : 0}`)].join('\n'));
    const json = join(mkdtempSync(join(tmpdir(), 'labels-')), 'from-open.json');
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await run(['labels', '--scores', file, '--from', ts(3), '--json', json])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    const m = JSON.parse(readFileSync(json, 'utf8')) as { eventsDetected: number; falseAlerts: number; tp: number };
    expect([m.eventsDetected, m.falseAlerts, m.tp]).toEqual([0, 0, 3]);
  });

  it('one opening detects one event: the one it opens in, else the latest whose tolerance covers it (a review: credited to two)', () => {
    const tsx = Float64Array.from({ length: 12 }, (_, i) => T0 + i * 1000);
    const a = { start: T0 + 2000, end: T0 + 4000 };
    const b = { start: T0 + 6000, end: T0 + 8000 };
    const label = Uint8Array.from({ length: 12 }, (_, i) => ((i >= 2 && i <= 4) || (i >= 6 && i <= 8) ? 1 : 0));
    // One alert at rows 7-8: inside B and within A's 3 s tolerance; it detects B only.
    const m = evaluateAlerts(tsx, Uint8Array.from({ length: 12 }, (_, i) => (i === 7 || i === 8 ? 1 : 0)), label, [a, b], 3000);
    expect(m.events.map((e) => e.detected)).toEqual([false, true]);
    // An opening after both, within both tolerances: the latest event's.
    const late = evaluateAlerts(tsx, Uint8Array.from({ length: 12 }, (_, i) => (i === 9 ? 1 : 0)), label, [a, b], 6000);
    expect(late.events.map((e) => e.detected)).toEqual([false, true]);
    // An event over before the judged rows (unjudged) still excuses an opening in its tolerance.
    const after = evaluateAlerts(tsx, Uint8Array.from({ length: 12 }, (_, i) => (i === 9 ? 1 : 0)), label, [], 2000, undefined, { unjudged: [b] });
    expect(after.falseAlerts).toBe(0);
  });
});
