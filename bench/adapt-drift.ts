/**
 * Issue 15.3, synthetic drift: does adaptation on the gateway (config `adapt`) keep false alarms down after a slow
 * change of operating point while faults after it are still found? The tiny pump model of test/adapt (window 16,
 * trained here in seconds) runs in `vigil run` (startRuntime, the injectable source), twice on the same stream:
 * adaptation off, and on (minNewWindows 200, everyMs 0; the stream is fed 100 rows at a time and every adaptation
 * that falls due runs to its end before the next rows, so adaptation keeps up with the drift as it would over hours).
 *
 * Stream (1 Hz, one sensor; sizes in standard deviations of each channel over 2,000 normal rows of the fixture
 * pump, so the scenario keeps its meaning when the fixture's data changes): phase A, 3,000 rows: temperature +0 ->
 * +3.17 sd and pressure +0 -> +1.65 sd, linear (with adaptation off, 97 % of the rows after it are flagged; at 4/5 of
 * this drift 0.8 %: residual tracking follows a drift while it stays under half the bar, and stops past it); phase B, 2,000 rows at the new point with three faults: vibration
 * +7.9 sd (rows 400-479 of B), current +0.69 sd (900-959) and a slow vibration ramp 0 -> +5.3 sd over rows
 * 1,300-1,899. The stream compresses what would take days into 83 minutes, so the anchor (adapt.anchorAgeMs, 24 h
 * in service) is compressed alike, to 10 minutes of data time. Scored per row by the alert state after the
 * row's window (`vigil evaluate labels`' metrics, tolerance one window, the window after a fault ignored).
 * Three streams (noise seeds 41, 42, 43; the same model): one stream decided nothing (a change that looked best on
 * one was worse than adaptation off on another).
 *
 *   node bin/run-ts.mjs bench/adapt-drift.ts        -> bench/results/adapt-drift.json
 *   node bin/run-ts.mjs bench/adapt-pause.ts       -> its `pause` section: the pause fine-tuning causes to inference
 *   ADAPT_MODES=off,on,no-anchor,drift (default)  which runs: off, on with the schedule trigger, the same without the
 *                                                   anchor (adapt.anchorAgeMs 0), on with the drift trigger
 *   ADAPT_TRIGGER='{"z":2.5}'                  drift trigger settings (adapt.trigger) for variants
 *   ADAPT_TRACE=/tmp/t node bin/run-ts.mjs bench/adapt-drift.ts   also /tmp/t-<seed>-<off|on>.csv: per window its
 *                                                   score, threshold, flag, alert state, model version and
 *                                                   the drift signal (standard errors above the card, once full)
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunConfigInput } from '../runtime/config/schema.ts';
import { evaluateAlerts, type LabelMetrics } from '../evaluate/labels/metrics.ts';
import { eventsFromRows } from '../evaluate/labels/truth.ts';
import { startBroker } from '../simulators/broker/aedes.ts';
import { C, W, gateway, liveRows, LIVE_START, trainTinyPump } from '@vigil/fixtures/adapt-gateway.ts';
import { machineInfo, RESULTS_DIR } from './lib/result.ts';

const A = 3000;
const B = 2000;
/** Each channel's column and standard deviation over 2,000 normal rows of the fixture pump (seed 31). */
const SD = (() => {
  const s = liveRows(2000, 31, LIVE_START);
  const at = (name: string) => {
    const c = s.channels.indexOf(name);
    if (c < 0) throw new Error(`adapt-drift: the fixture pump has no channel '${name}' (has ${s.channels.join(', ')})`);
    let m = 0;
    let v = 0;
    const n = s.timestamps.length;
    for (let r = 0; r < n; r++) m += s.data[r * C + c] / n;
    for (let r = 0; r < n; r++) v += (s.data[r * C + c] - m) ** 2 / n;
    return { c, sd: Math.sqrt(v) };
  };
  return { temperature: at('temperature'), pressure: at('pressure'), vibration: at('vibration_rms'), current: at('motor_current') };
})();
const add = (ch: { c: number; sd: number }, sds: number, v: Float32Array) => void (v[ch.c] += sds * ch.sd);

const FAULTS: { from: number; to: number; edit: (k: number, v: Float32Array) => void }[] = [
  { from: 400, to: 480, edit: (_k, v) => add(SD.vibration, 7.9, v) },
  { from: 900, to: 960, edit: (_k, v) => add(SD.current, 0.69, v) },
  { from: 1300, to: 1900, edit: (k, v) => add(SD.vibration, 5.3 * k, v) },
];

const SEEDS = [41, 42, 43];
/** Adaptation off; on with the schedule trigger (`on`); the same without the anchor (`no-anchor`); on with the drift trigger (`drift`, adapt.trigger.kind). */
const MODES = (process.env.ADAPT_MODES ?? 'off,on,no-anchor,drift').split(',');
/** Drift trigger settings beside kind (adapt.trigger), as JSON: variants (`ADAPT_TRIGGER='{"z":2.5}'`). */
const TRIGGER = JSON.parse(process.env.ADAPT_TRIGGER ?? '{}') as Record<string, unknown>;

function stream(seed: number) {
  return liveRows(A + B, seed, LIVE_START, (r, v) => {
    const k = Math.min(1, r / A);
    add(SD.temperature, 3.17 * k, v);
    add(SD.pressure, 1.65 * k, v);
    for (const f of FAULTS) if (r - A >= f.from && r - A < f.to) f.edit((r - A - f.from) / (f.to - f.from), v);
  });
}

async function run(model: string, brokerUrl: string, seed: number, mode: string, adapt: RunConfigInput['adapt']) {
  const g = await gateway(model, brokerUrl, adapt);
  const open = new Map<number, number>();
  const trace: string[] = [];
  g.handle.detections.subscribe((d) => {
    open.set(d.verdict.tsLast, d.alertOpen ? 1 : 0);
    trace.push(`${(d.verdict.tsLast - LIVE_START) / 1000},${d.verdict.score},${d.verdict.threshold},${d.verdict.anomaly ? 1 : 0},${d.alertOpen ? 1 : 0},${g.handle.card().version},${g.handle.adaptation?.drift()?.z.toFixed(2) ?? ''}`);
  });
  const decisions: string[] = [];
  g.handle.adaptation?.decisions.subscribe((d) => {
    decisions.push(`${d.outcome}${d.to && d.to !== d.from ? ` v${d.to}` : ''}`);
    process.stderr.write(`  ${d.outcome}: ${d.detail.slice(0, 160)}\n`);
  });
  const s = stream(seed);
  const t0 = performance.now();
  for (let r = 0; r < A + B; r += 100) {
    await g.feed({ ...s, timestamps: s.timestamps.subarray(r, r + 100), data: s.data.subarray(r * C, (r + 100) * C) });
    await g.handle.adaptation?.settled();
  }
  const seconds = (performance.now() - t0) / 1000;
  await g.handle.stop();
  const alert = Uint8Array.from(s.timestamps, (t) => open.get(t) ?? 0);
  const label = new Uint8Array(A + B);
  const ignore = new Uint8Array(A + B);
  for (const f of FAULTS) {
    label.fill(1, A + f.from, A + f.to);
    ignore.fill(1, A + f.to, Math.min(A + B, A + f.to + W));
  }
  ignore.fill(1, 0, W - 1);
  const part = (from: number, to: number): LabelMetrics => {
    const ts = s.timestamps.subarray(from, to);
    const lb = label.subarray(from, to);
    return evaluateAlerts(ts, alert.subarray(from, to), lb, eventsFromRows(ts, lb), W * 1000, ignore.subarray(from, to));
  };
  if (process.env.ADAPT_TRACE) writeFileSync(`${process.env.ADAPT_TRACE}-${seed}-${mode}.csv`, `row,score,threshold,anomaly,open,version,drift_z\n${trace.join('\n')}\n`);
  return { decisions, seconds, drift: part(0, A), after: part(A, A + B) };
}

const dir = mkdtempSync(join(tmpdir(), 'vigil-adapt-drift-'));
const broker = await startBroker();
try {
  process.stderr.write('training the tiny pump model...\n');
  await trainTinyPump(dir);
  const runs: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const seed of SEEDS) {
    for (const mode of MODES) {
      const name = `${seed} ${mode}`;
      const at = join(dir, `${seed}-${mode}`);
      cpSync(join(dir, 'model'), at, { recursive: true });
      process.stderr.write(`stream ${seed}, adaptation ${mode}...\n`);
      runs[name] = await run(join(at, 'pump'), broker.url, seed, mode, mode === 'off'
        ? { enabled: false }
        : { enabled: true, everyMs: 0, minNewWindows: 200, backend: 'wasm', reservoir: { file: join(at, 'reservoir-{name}.json'), guardMs: 30_000, sampleEveryMs: 0 }, anchorAgeMs: mode === 'no-anchor' ? 0 : 600_000, ...(mode === 'drift' ? { trigger: { kind: 'drift' as const, ...TRIGGER } } : {}) });
    }
  }
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const lines = ['| stream | adaptation | false alarms during the drift | false alarms after it | F1 of the faults after it | faults found | ramp delay | adaptations | wall |', '|---|---|---|---|---|---|---|---|---|'];
  for (const [name, r] of Object.entries(runs)) {
    const ramp = r.after.events[2];
    lines.push(`| ${name.replace(' ', ' | ')} | ${pct(r.drift.falseAlarmRate)} | ${pct(r.after.falseAlarmRate)} | ${r.after.f1.toFixed(3)} | ${r.after.eventsDetected}/${r.after.events.length} | ${ramp.delayRows ?? 'missed'} rows | ${r.decisions.filter((d) => d.startsWith('adapted')).length} adapted, ${r.decisions.filter((d) => d === 'refused').length} refused, ${r.decisions.filter((d) => d.startsWith('rolled_back')).length} rolled back | ${r.seconds.toFixed(0)} s |`);
  }
  for (const mode of MODES) {
    const rs = Object.entries(runs).filter(([k]) => k.endsWith(mode)).map(([, r]) => r);
    const mean = (f: (r: (typeof rs)[number]) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    lines.push(`| mean | ${mode} | ${pct(mean((r) => r.drift.falseAlarmRate))} | ${pct(mean((r) => r.after.falseAlarmRate))} | ${mean((r) => r.after.f1).toFixed(3)} | | | | |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = join(RESULTS_DIR, 'adapt-drift.json');
  // The pause measurement (bench/adapt-pause.ts) lives in the same report; keep it.
  // The pause section (bench/adapt-pause.ts) and the recorded variants are other runs': kept as they are.
  const { pause, variants } = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { pause?: unknown; variants?: unknown }) : {};
  writeFileSync(out, `${JSON.stringify({ machine: machineInfo(), table: lines, pause, variants, runs: Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, { decisions: r.decisions, seconds: r.seconds, drift: { ...r.drift, events: undefined }, after: r.after }])) }, null, 1)}\n`);
  process.stderr.write(`wrote ${out}\n`);
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}
