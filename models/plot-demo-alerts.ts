/**
 * Run the demo end to end (embedded broker, runtime, replay) at high speed and draw what it alerted on against
 * NAB's labelled failure windows: `models/machine_temperature.demo.svg`.
 *   node bin/run-ts.mjs models/plot-demo-alerts.ts [--speed 100000]
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCsv } from '@vigil/runtime/data/csv.ts';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { startDemo } from '../simulators/demo/demo.ts';
import { readIncidents } from '../simulators/demo/nab-labels.ts';
import { DEMO_DEFAULTS } from '../simulators/cli/demo.ts';
import type { AlertMessage } from '../simulators/alerts/format.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const speedArg = process.argv.indexOf('--speed');
const speed = speedArg > 0 ? Number(process.argv[speedArg + 1]) : 20_000;

const alerts: AlertMessage[] = [];
const demo = await startDemo({ model: DEMO_DEFAULTS.model, data: DEMO_DEFAULTS.data, from: DEMO_DEFAULTS.from, speed, dashboardPort: null, logLevel: 'silent', onAlert: (a) => alerts.push(a) });
await demo.replayDone;
await demo.stop();
const st = demo.stats();
process.stdout.write(`runtime: ${st.readings} readings, ${st.scored} windows scored, ${st.dropped} dropped, ${st.rejected} rejected\n`);

const s = readCsv(DEMO_DEFAULTS.data);
const from = parseTimestamp(DEMO_DEFAULTS.from);
const incidents = readIncidents(DEMO_DEFAULTS.labels);
const t0 = s.timestamps[0], t1 = s.timestamps[s.timestamps.length - 1];
const W = 1200, H = 360, L = 50, R = 10, T = 40, B = 50;
const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
const y = (v: number) => T + (1 - v / 110) * (H - T - B);
const parts: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  '<rect width="100%" height="100%" fill="white"/>',
  `<text x="${L}" y="18" font-size="13" font-weight="bold">vigil demo: NAB machine_temperature_system_failure, what the runtime alerted on (${alerts.filter((a) => a.type === 'open').length} alerts)</text>`,
  `<rect x="${L}" y="${T}" width="${x(from) - L}" height="${H - T - B}" fill="#1f77b4" opacity="0.07"/>`,
  `<text x="${L + 4}" y="${T + 12}" fill="#1f77b4">training (probationary 15%, labelled window removed)</text>`,
];
for (const w of incidents) {
  parts.push(`<rect x="${x(w.start).toFixed(1)}" y="${T}" width="${(x(w.end) - x(w.start)).toFixed(1)}" height="${H - T - B}" fill="#999" opacity="0.25"/>`);
  parts.push(`<line x1="${x(w.at).toFixed(1)}" x2="${x(w.at).toFixed(1)}" y1="${T}" y2="${H - B}" stroke="#555" stroke-dasharray="3,3"/>`);
}
const cols = W - L - R;
const pts: string[] = [];
for (let k = 0; k < cols; k++) {
  const a = Math.floor((k * s.timestamps.length) / cols), b = Math.max(a + 1, Math.floor(((k + 1) * s.timestamps.length) / cols));
  let mn = Infinity, mx = -Infinity;
  for (let r = a; r < b; r++) { mn = Math.min(mn, s.data[r]); mx = Math.max(mx, s.data[r]); }
  pts.push(`${L + k},${y(mn).toFixed(1)} ${L + k},${y(mx).toFixed(1)}`);
}
parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="0.8"/>`);
const opens = alerts.filter((a) => a.type === 'open');
for (const o of opens) {
  const close = alerts.find((a) => a.type === 'close' && a.sensor === o.sensor && a.tsLast! >= o.tsLast!);
  const xa = x(o.tsLast!), xb = Math.max(x(close?.tsLast ?? o.tsLast!), xa + 3);
  parts.push(`<rect x="${xa.toFixed(1)}" y="${H - B + 4}" width="${(xb - xa).toFixed(1)}" height="10" fill="#d62728"/>`);
}
for (let d = Date.UTC(2013, 11, 15); d < t1; d += 7 * 86_400_000) {
  parts.push(`<text x="${x(d).toFixed(1)}" y="${H - B + 28}" text-anchor="middle" fill="#666">${new Date(d).toISOString().slice(0, 10)}</text>`);
}
parts.push(`<text x="${L}" y="${H - 6}" fill="#555">grey: NAB labelled failure windows (dashed: labelled instant); red: alerts (open to close) from the live pipeline; replay from ${DEMO_DEFAULTS.from} at ${speed}x</text>`);
parts.push('</svg>');
const out = here('machine_temperature.demo.svg');
writeFileSync(out, parts.join('\n'));
process.stdout.write(`${opens.length} alerts; wrote ${out}\n`);
for (const o of opens) process.stdout.write(`  alert at ${new Date(o.tsLast!).toISOString()} score ${o.score} > ${o.threshold}\n`);
