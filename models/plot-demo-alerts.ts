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
import { demoAlertsSvg } from './demo-alerts-svg.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const speedArg = process.argv.indexOf('--speed');
const speed = speedArg > 0 ? Number(process.argv[speedArg + 1]) : 20_000;

const alerts: AlertMessage[] = [];
const demo = await startDemo({ model: DEMO_DEFAULTS.model, data: DEMO_DEFAULTS.data, from: DEMO_DEFAULTS.from, speed, dashboardPort: null, logLevel: 'silent', onAlert: (a) => alerts.push(a) });
await demo.replayDone;
await demo.stop();
const st = demo.stats();
process.stdout.write(`runtime: ${st.readings} readings, ${st.scored} windows scored, ${st.dropped} dropped, ${st.rejected} rejected\n`);

const opens = alerts.filter((a) => a.type === 'open');
const svg = demoAlertsSvg({
  series: readCsv(DEMO_DEFAULTS.data),
  from: parseTimestamp(DEMO_DEFAULTS.from),
  incidents: readIncidents(DEMO_DEFAULTS.labels),
  alerts,
  fromText: DEMO_DEFAULTS.from,
  speed,
});
const out = here('machine_temperature.demo.svg');
writeFileSync(out, svg);
process.stdout.write(`${opens.length} alerts; wrote ${out}\n`);
for (const o of opens) process.stdout.write(`  alert at ${new Date(o.tsLast!).toISOString()} score ${o.score} > ${o.threshold}\n`);
