import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateAlerts, poolMetrics } from '../../evaluate/labels/metrics.ts';
import { scoredRowsFromTable } from '../../evaluate/labels/scores.ts';
import { readTable } from '../../evaluate/labels/table.ts';
import { eventsFromRows, truthFromTable } from '../../evaluate/labels/truth.ts';
import { run } from '../../evaluate/cli.ts';
import { formatLabelMetrics } from '../../evaluate/labels/report.ts';
import { T0, tmpFile, ts } from './label-files.ts';


/** 20 rows at 1 s; events at rows 5-7 and 14-15; alerts at rows 6, 7, 10. */
function fixture(): { scores: string; intervals: string; points: string } {
  const alertRows = new Set([6, 7, 10]);
  const label = (i: number): number => ((i >= 5 && i <= 7) || (i >= 14 && i <= 15) ? 1 : 0);
  const scores = ['timestamp,score,label', ...Array.from({ length: 20 }, (_, i) => `${ts(i)},${alertRows.has(i) ? 0.9 : 0.1},${label(i)}`)].join('\n');
  const intervals = ['sensor,type,channels,start,end,start_row,end_row', `p1,spike,a,${ts(5)},${ts(7)},5,7`, `p1,drift,a,${ts(14)},${ts(15)},14,15`, `p2,stuck,a,${ts(0)},${ts(19)},0,19`].join('\n');
  const points = ['timestamp,label', ...Array.from({ length: 20 }, (_, i) => `${ts(i)},${label(i)}`)].join('\n');
  return { scores: tmpFile('scores.csv', scores), intervals: tmpFile('labels.csv', intervals), points: tmpFile('points.csv', points) };
}

describe('labelled evaluation', () => {
  it('reads label tables whose quoted cells hold the separator (a list of channels)', () => {
    const t = readTable(tmpFile('labels.csv', `sensor,type,channels,start,end\np1,spike,"a,b",${ts(5)},${ts(7)}\n`));
    expect(t.header).toEqual(['sensor', 'type', 'channels', 'start', 'end']);
    expect(t.rows).toEqual([['p1', 'spike', 'a,b', ts(5), ts(7)]]);
    expect(t.lines).toEqual([2]);
  });

  it('computes point-wise rates and per-event delays from intervals', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const truth = truthFromTable(readTable(f.intervals), s.timestamps, 'p1');
    const m = evaluateAlerts(s.timestamps, s.alert, truth.label, truth.events);
    expect([m.tp, m.fp, m.tn, m.fn]).toEqual([2, 1, 14, 3]);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 5, 12);
    expect(m.f1).toBeCloseTo((2 * (2 / 3) * (2 / 5)) / (2 / 3 + 2 / 5), 12);
    expect(m.falseAlarmRate).toBeCloseTo(1 / 15, 12);
    expect(m.missRate).toBeCloseTo(3 / 5, 12);
    expect(m.events.map((e) => [e.type, e.detected, e.delayMs, e.delayRows])).toEqual([
      ['spike', true, 1000, 1],
      ['drift', false, null, null],
    ]);
    expect(m.eventRecall).toBe(0.5);
    expect(m.meanDelayMs).toBe(1000);
  });

  it('the report says when so many normal rows are flagged that its events detected says little', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const truth = truthFromTable(readTable(f.intervals), s.timestamps, 'p1');
    // 1 of 15 normal rows flagged: no note.
    expect(formatLabelMetrics(evaluateAlerts(s.timestamps, s.alert, truth.label, truth.events), 'x')).not.toContain('note:');
    // Every row flagged: one alert, open from the first row, that notifies nobody of any event (none detected), and
    // the report says what so many flagged rows mean.
    const busy = evaluateAlerts(s.timestamps, s.alert.map(() => 1), truth.label, truth.events);
    expect([busy.eventRecall, busy.falseAlerts]).toEqual([0, 1]);
    expect(formatLabelMetrics(busy, 'x')).toMatch(/note: 100\.00% of normal rows are flagged, so alerts are open through most of any stretch: events often begin under an alert already open, which notifies nobody of them, and count as missed\. Judge this run/);
  });

  it('says when labelled events hold no scored row (labels in local time: a probe saw both events MISSED and no word why)', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const truth = truthFromTable(readTable(f.intervals), s.timestamps, 'p1');
    const late = truth.events.map((e) => ({ ...e, start: e.start + 7_200_000, end: e.end + 7_200_000 }));
    const m = evaluateAlerts(s.timestamps, s.alert, new Uint8Array(s.timestamps.length), late);
    expect(m.events.every((e) => e.outside && !e.detected)).toBe(true);
    const text = formatLabelMetrics(m, 'x');
    expect(text).toMatch(/note: 2 of 2 labelled event\(s\) hold no scored row \(the scored rows run from .* UTC\).*check their time zone/);
    expect(text).toContain('MISSED (no scored row in it)');
    // Events inside the scored rows: no such note.
    expect(formatLabelMetrics(evaluateAlerts(s.timestamps, s.alert, truth.label, truth.events), 'x')).not.toContain('hold no scored row');
  });

  it('per-timestamp labels may be in any column every command sets aside as ground truth (a first-time user\'s fault column was refused)', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const byLabel = truthFromTable(readTable(f.points), s.timestamps);
    for (const name of ['fault', 'changepoint', 'Fault']) {
      const renamed = tmpFile(`${name}.csv`, readFileSync(f.points, 'utf8').replace('timestamp,label', `timestamp,${name}`));
      expect(truthFromTable(readTable(renamed), s.timestamps).label).toEqual(byLabel.label);
    }
  });

  it('per-timestamp labels and a label column in the scores give the same answer as intervals', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const a = truthFromTable(readTable(f.points), s.timestamps);
    expect(Array.from(a.label)).toEqual(Array.from(s.label!));
    expect(eventsFromRows(s.timestamps, s.label!)).toEqual(a.events);
  });

  it('a tolerance lets an alert just after an event count as its detection', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const events = [{ start: T0 + 8000, end: T0 + 9000 }];
    const label = new Uint8Array(20);
    expect(evaluateAlerts(s.timestamps, s.alert, label, events, 0).eventsDetected).toBe(0);
    expect(evaluateAlerts(s.timestamps, s.alert, label, events, 1000).events[0].delayMs).toBe(2000);
  });

  it('ignored rows count neither way; pooling adds counts and recomputes rates and median delays in rows', () => {
    const ts = Float64Array.from({ length: 10 }, (_, i) => T0 + i * 1000);
    const alert = Uint8Array.from([0, 1, 0, 1, 1, 0, 1, 0, 0, 0]);
    const label = Uint8Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    const events = [{ start: T0 + 3000, end: T0 + 5000 }];
    const all = evaluateAlerts(ts, alert, label, events);
    expect([all.rows, all.tp, all.fp, all.tn, all.fn]).toEqual([10, 2, 2, 5, 1]);
    // Rows 6 and 1 ignored (e.g. context after an event, warm-up): both false alarms disappear.
    const ignore = Uint8Array.from([0, 1, 0, 0, 0, 0, 1, 0, 0, 0]);
    const some = evaluateAlerts(ts, alert, label, events, 0, ignore);
    expect([some.rows, some.tp, some.fp, some.tn, some.fn]).toEqual([8, 2, 0, 5, 1]);
    expect(some.falseAlarmRate).toBe(0);
    expect(some.medianDelayRows).toBe(0);
    const late = evaluateAlerts(ts, Uint8Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]), label, events);
    const missed = evaluateAlerts(ts, new Uint8Array(10), label, events);
    const pooled = poolMetrics([some, late, missed]);
    expect([pooled.rows, pooled.tp, pooled.fp, pooled.tn, pooled.fn]).toEqual([28, 3, 0, 19, 6]);
    expect(pooled.recall).toBeCloseTo(3 / 9, 12);
    expect(pooled.precision).toBe(1);
    expect(pooled.events).toHaveLength(3);
    expect(pooled.eventsDetected).toBe(2);
    expect(pooled.eventRecall).toBeCloseTo(2 / 3, 12);
    expect(pooled.medianDelayRows).toBe(1); // delays 0 and 2 rows
    expect(pooled.medianDelayMs).toBe(1000);
  });

  it('rejects inputs it cannot interpret, saying what it expected', () => {
    const f = fixture();
    expect(() => scoredRowsFromTable(readTable(f.scores))).toThrow(/pass --threshold/);
    const bad = tmpFile('bad.csv', 'timestamp,score\n2024-01-01 00:00:00,abc\n');
    expect(() => scoredRowsFromTable(readTable(bad), { threshold: 1 })).toThrow(/bad.csv:2: column 'score': 'abc' is not a number/);
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    expect(() => truthFromTable(readTable(f.intervals), s.timestamps, 'nope')).toThrow(/no labels for sensor 'nope'; sensors labelled: p1, p2/);
  });

  it('refuses labels of several sensors without --sensor, and reads a unit column as the sensor', () => {
    const f = fixture();
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    // Every sensor's events judged on one sensor's scores was the silent result before (p2's 0-19 swallowed p1's).
    expect(() => truthFromTable(readTable(f.intervals), s.timestamps)).toThrow(/labels for 2 sensors in column 'sensor' \(p1, p2\); pass --sensor NAME/);
    const units = tmpFile('faults.csv', ['unit,kind,start,end', `ahu01,stuck_damper,${ts(5)},${ts(7)}`, `ahu02,belt_slip,${ts(0)},${ts(19)}`].join('\n'));
    expect(() => truthFromTable(readTable(units), s.timestamps)).toThrow(/labels for 2 sensors in column 'unit' \(ahu01, ahu02\)/);
    const one = truthFromTable(readTable(units), s.timestamps, 'ahu01');
    expect(one.events).toEqual([{ start: T0 + 5000, end: T0 + 7000, type: 'stuck_damper' }]);
    expect(one.unread).toBeUndefined();
    const single = tmpFile('one.csv', ['sensor,start,end,note', `p1,${ts(5)},${ts(7)},damper`].join('\n'));
    const t = truthFromTable(readTable(single), s.timestamps);
    expect(t.events).toHaveLength(1);
    expect(t.unread).toEqual(['note']);
  });

  it('the CLI prints the table and exits 0', async () => {
    const f = fixture();
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await run(['labels', '--scores', f.scores, '--labels', f.intervals, '--sensor', 'p1', '--threshold', '0.5'])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    const text = out.join('');
    expect(text).toMatch(/precision\s+0\.6667/);
    expect(text).toMatch(/events detected\s+1\/2/);
    expect(text).toMatch(/MISSED/);
  });

  it('--baselines judges a z-score and PCA fitted on --train on the same rows and labels', async () => {
    // Two channels that move together in training; in the data rows 10-14 break the link within each channel's range.
    const wave = (i: number) => Math.sin(i / 3) + 0.3 * Math.sin(i / 1.7);
    const train = ['timestamp,a,b', ...Array.from({ length: 400 }, (_, i) => `${ts(i)},${wave(i).toFixed(4)},${(wave(i) + 0.01 * Math.cos(i * 7.3)).toFixed(4)}`)].join('\n');
    const broken = (i: number) => i >= 10 && i <= 14;
    const data = ['timestamp,a,b', ...Array.from({ length: 20 }, (_, i) => `${ts(i)},${wave(i).toFixed(4)},${(broken(i) ? -wave(i) : wave(i)).toFixed(4)}`)].join('\n');
    const scores = ['timestamp,score,alert', ...Array.from({ length: 20 }, (_, i) => `${ts(i)},0.1,${i === 3 ? 1 : 0}`)].join('\n');
    const labels = ['start,end', `${ts(10)},${ts(14)}`].join('\n');
    const f = { train: tmpFile('train.csv', train), data: tmpFile('data.csv', data), scores: tmpFile('s.csv', scores), labels: tmpFile('l.csv', labels) };
    const json = join(mkdtempSync(join(tmpdir(), 'labels-')), 'm.json');
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await run(['labels', '--scores', f.scores, '--labels', f.labels, '--baselines', '--train', f.train, '--data', f.data, '--json', json])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    expect(out.join('')).toMatch(/Baselines fitted on/);
    const m = JSON.parse(readFileSync(json, 'utf8')) as { recall: number; baselines: Array<{ name: string; metrics: { recall: number; eventsDetected: number } }> };
    expect(m.recall).toBe(0);
    const by = Object.fromEntries(m.baselines.map((b) => [b.name, b.metrics]));
    expect(by.pca.recall).toBe(1);
    expect(by.pca.eventsDetected).toBe(1);
    expect(by.zscore.recall).toBeLessThan(1);
    await expect(run(['labels', '--scores', f.scores, '--labels', f.labels, '--baselines'])).rejects.toThrow(/--baselines needs --train/);
    // As a historian exports them (a probe): a text column and an empty cell, read as vigil train reads them.
    const historian = (csv: string) => csv.split('\n').map((l, i) => `${l},${i === 0 ? 'mode' : 'AUTO'}`).map((l, i) => (i === 5 ? l.replace(/,[-\d.]+,AUTO$/, ',,AUTO') : l)).join('\n');
    const h = { train: tmpFile('htrain.csv', historian(train)), data: tmpFile('hdata.csv', historian(data)) };
    await expect(run(['labels', '--scores', f.scores, '--labels', f.labels, '--baselines', '--train', h.train, '--data', h.data])).rejects.toThrow(/mode/);
    const json2 = join(mkdtempSync(join(tmpdir(), 'labels-')), 'm.json');
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await run(['labels', '--scores', f.scores, '--labels', f.labels, '--baselines', '--train', h.train, '--data', h.data, '--fill', 'ffill', '--ignore', 'mode', '--json', json2])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    const m2 = JSON.parse(readFileSync(json2, 'utf8')) as typeof m;
    expect(m2.baselines.find((b) => b.name === 'pca')!.metrics.eventsDetected).toBe(1);
  });

  it("a ground-truth column is never taken for the verdict (a review: a SKAB file judged against itself scored F1 1.0 from its own 'anomaly' column)", () => {
    const file = tmpFile('self.csv', ['datetime;value;anomaly_score;anomaly;changepoint', ...[0.1, 0.9, 0.1, 0.1, 0.1].map((sc, i) => `${ts(i)};1;${sc};${i === 2 || i === 3 ? 1 : 0};0`)].join('\n'));
    expect(() => scoredRowsFromTable(readTable(file))).toThrow(/cannot tell which rows alerted; pass --threshold/);
    // With a threshold the scores decide (above it, as the runtime's rule), and the file's anomaly column is its labels.
    const s = scoredRowsFromTable(readTable(file), { threshold: 0.1 });
    expect([...s.alert]).toEqual([0, 1, 0, 0, 0]);
    expect([...s.label!]).toEqual([0, 0, 1, 1, 0]);
    // Named, it is a verdict column like any other.
    expect([...scoredRowsFromTable(readTable(file), { alertColumn: 'anomaly' }).alert]).toEqual([0, 0, 1, 1, 0]);
  });

  it('reads a SKAB-format file as labels: datetime column, semicolons, 1.0/0.0 labels; counts rows it does not cover', async () => {
    const f = fixture();
    const label = (i: number): number => ((i >= 5 && i <= 7) || (i >= 14 && i <= 15) ? 1 : 0);
    const skab = ['datetime;Current;Volume Flow RateRMS;anomaly;changepoint', ...Array.from({ length: 20 }, (_, i) => `${ts(i)};1.5;32.0;${label(i).toFixed(1)};${i === 5 || i === 14 ? '1.0' : '0.0'}`)].join('\n');
    const s = scoredRowsFromTable(readTable(f.scores), { threshold: 0.5 });
    const truth = truthFromTable(readTable(tmpFile('skab.csv', skab)), s.timestamps);
    const byPoints = truthFromTable(readTable(f.points), s.timestamps);
    expect([...truth.label]).toEqual([...byPoints.label]);
    expect(truth.unlabelled).toBe(0);
    // A label that is a number but neither 0 nor 1 is still refused.
    expect(() => truthFromTable(readTable(tmpFile('bad.csv', `datetime;anomaly\n${ts(0)};0.5\n`)), s.timestamps)).toThrow(/'0.5' is not 0\/1/);
    // Decimal only: hex, binary and Infinity are not labels.
    for (const cell of ['0x1', '0b1', 'Infinity', '1.5e0']) {
      expect(() => truthFromTable(readTable(tmpFile('odd.csv', `datetime;anomaly\n${ts(0)};${cell}\n`)), s.timestamps), cell).toThrow(/is not 0\/1/);
    }
    // Labels for the first 12 of 20 scored rows: the other 8 count as normal, and the CLI says so.
    const partial = tmpFile('partial.csv', skab.split('\n').slice(0, 13).join('\n'));
    expect(truthFromTable(readTable(partial), s.timestamps).unlabelled).toBe(8);
    const err: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    const origOut = process.stdout.write.bind(process.stdout);
    process.stderr.write = ((x: string) => (err.push(String(x)), true)) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await run(['labels', '--scores', f.scores, '--labels', partial, '--threshold', '0.5'])).toBe(0);
    } finally {
      process.stderr.write = orig;
      process.stdout.write = origOut;
    }
    expect(err.join('')).toMatch(/8 of 20 scored rows have no row in .*partial\.csv; they count as normal/);
  });

  it('--from judges only the rows at or after a time, and only the events still running then', async () => {
    const f = fixture();
    const json = join(mkdtempSync(join(tmpdir(), 'labels-')), 'from.json');
    const out: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((x: string) => (out.push(String(x)), true)) as typeof process.stdout.write;
    try {
      // Rows 9-19: the alert at row 10 is a false alarm, the event at rows 5-7 is over, the one at 14-15 missed.
      expect(await run(['labels', '--scores', f.scores, '--labels', f.intervals, '--sensor', 'p1', '--threshold', '0.5', '--from', ts(9), '--json', json])).toBe(0);
    } finally {
      process.stdout.write = orig;
    }
    const m = JSON.parse(readFileSync(json, 'utf8')) as { tp: number; fp: number; tn: number; fn: number; events: unknown[]; rule: string };
    expect([m.tp, m.fp, m.tn, m.fn]).toEqual([0, 1, 8, 2]);
    expect(m.events).toHaveLength(1);
    expect(out.join('')).toMatch(/over 11 rows \(.*rows from 2024-01-01T00:00:09\.000Z\)/);
    expect(out.join('')).not.toMatch(/none left out/);
    // A --from before the first row (an offset that moved it an hour early) judges every row, and says so.
    const early = join(mkdtempSync(join(tmpdir(), 'labels-')), 'early.json');
    await run(['labels', '--scores', f.scores, '--labels', f.intervals, '--sensor', 'p1', '--threshold', '0.5', '--from', '2024-01-01T00:00:09+01:00', '--json', early]);
    expect((JSON.parse(readFileSync(early, 'utf8')) as { rule: string }).rule).toMatch(/rows from 2023-12-31T23:00:09\.000Z \(before the first scored row, 2024-01-01T00:00:00\.000Z: every row judged, none left out\)/);
    await expect(run(['labels', '--scores', f.scores, '--labels', f.intervals, '--threshold', '0.5', '--from', ts(30)])).rejects.toThrow(/no scored rows at or after 2024-01-01T00:00:30\.000Z/);
    await expect(run(['labels', '--scores', f.scores, '--labels', f.intervals, '--threshold', '0.5', '--from', 'soon'])).rejects.toThrow(/--from: 'soon' is not a timestamp/);
  });

});
