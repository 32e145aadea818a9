/**
 * `vigil score` and `vigil run` judge the same data the same way by default (issue 16.1): a recorded NAB file
 * (machine temperature, its first 4,000 rows: two of its labelled incidents) is scored offline by `vigil score`
 * and published over MQTT to a `vigil run` process, both with the bundled model and no option that changes the
 * judging; every alert opens and closes at the same reading in both.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { readCsv } from '../../runtime/data/csv.ts';
import { loadModel } from '../../runtime/model/load.ts';
import { run as score } from '../../runtime/cli/score.ts';
import { testBroker } from '../ops/aedes.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

const MODEL = 'models/machine_temperature';
const ROWS = 4000;

const dir = mkdtempSync(join(tmpdir(), 'vigil-agree-'));
/** The file's first rows (the full file repeats 12 timestamps further on, which `vigil score` refuses without --sort). */
function recordedFile(): string {
  const lines = readFileSync('simulators/data/nab/machine_temperature_system_failure.csv', 'utf8').split('\n');
  const path = join(dir, 'machine_temperature.csv');
  writeFileSync(path, `${lines.slice(0, ROWS + 1).join('\n')}\n`);
  return path;
}

type Event = { type: string; tsLast: number };

/** Alert opens and closes from `vigil score`'s per-row alert column: a row where it turns 1, and where it turns 0. */
function eventsOfScores(csv: string, ts: Float64Array | number[]): Event[] {
  const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
  const events: Event[] = [];
  let open = false;
  rows.forEach((cols, r) => {
    const now = cols[3] === '1';
    if (now !== open) events.push({ type: now ? 'open' : 'close', tsLast: ts[r] });
    open = now;
  });
  return events;
}

const alerts: { topic: string; payload: Record<string, unknown> }[] = [];
const broker = await testBroker((topic, payload) => {
  if (topic.startsWith('vigil/alerts/')) alerts.push({ topic, payload: JSON.parse(payload.toString()) });
});
afterAll(() => broker.stop());

describe('vigil score and vigil run agree by default', () => {
  it('open and close the same alerts at the same readings of a recorded file', async () => {
    const data = recordedFile();
    const series = readCsv(data);
    const out = join(dir, 'scores.csv');
    expect(await score(['--model', MODEL, '--data', data, '--out', out, '--quiet'])).toBe(0);
    const expected = eventsOfScores(readFileSync(out, 'utf8'), series.timestamps);
    expect(expected.filter((e) => e.type === 'open').length).toBeGreaterThanOrEqual(5);

    // Only transport and housekeeping flags: QoS 1 so no reading is lost on the way, no state file, a free ops port.
    const vigil = spawnVigilRun(['--model', MODEL, '--broker', broker.url, '--topic', 'agree/{sensor}/data', '--qos', '1', '--state', 'off', '--metrics-port', '0']);
    try {
      await untilStarted(vigil);
      const ops = /ops {8}(http:\/\/\S+)\/metrics/.exec(vigil.stdout)![1];
      const pub = await mqtt.connectAsync(broker.url);
      const values = series.data;
      for (let r = 0; r < ROWS; r++) await pub.publishAsync('agree/temp/data', JSON.stringify({ ts: series.timestamps[r], value: values[r] }), { qos: 1 });
      await pub.endAsync();
      // Done when every window was judged and every alert it raised reached the broker.
      const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
      await vi.waitFor(async () => {
        const m = await (await fetch(`${ops}/metrics`)).text();
        expect(metric(m, 'vigil_windows_scored_total')).toBe(ROWS - loadModel(MODEL).card.window + 1);
        expect(alerts.length).toBe(metric(m, 'vigil_alerts_opened_total') + metric(m, 'vigil_alerts_escalated_total') + metric(m, 'vigil_alerts_closed_total'));
      }, { timeout: 60_000, interval: 200 });
      // Escalations (an open alert reaching twice its threshold) have no column in the CSV: compared apart below.
      const got = alerts.filter((a) => a.payload.type !== 'escalate').map((a) => ({ type: a.payload.type as string, tsLast: a.payload.tsLast as number }));
      expect(got).toEqual(expected);
      // Each escalation belongs to an alert open at the time (its incident) and is critical.
      const incidents = new Set(alerts.filter((a) => a.payload.type === 'open').map((a) => a.payload.incident));
      for (const e of alerts.filter((a) => a.payload.type === 'escalate')) {
        expect(incidents.has(e.payload.incident)).toBe(true);
        expect(e.payload.score as number).toBeGreaterThanOrEqual(2 * (e.payload.threshold as number));
      }
      expect(new Set(alerts.map((a) => a.topic))).toEqual(new Set(['vigil/alerts/temp']));
    } finally {
      vigil.proc.kill('SIGTERM');
    }
  }, 120_000);
});
