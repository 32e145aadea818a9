/**
 * Regenerate the bundled demo model `models/machine_temperature.{onnx,json}`:
 * 1. training slice: NAB machine_temperature_system_failure.csv, its probationary first 15% (NAB's rule: a
 *    detector may learn from it) with the labelled anomaly window inside it removed, written to
 *    models/data/machine_temperature_train.csv;
 * 2. `vigil train` on that slice (fixed seed);
 * 3. a description in the card saying how it was made.
 * Run: `bash models/build-demo-model.sh` (or `node bin/run-ts.mjs models/build-demo-model.ts`).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { readCsv } from '@vigil/runtime/data/csv.ts';
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { readIncidents } from '../simulators/demo/nab-labels.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SOURCE = here('../simulators/data/nab/machine_temperature_system_failure.csv');
const LABELS = here('../simulators/data/nab/machine_temperature_system_failure.labels.json');
const SLICE = here('data/machine_temperature_train.csv');
const OUT = here('machine_temperature');
/** Training arguments; the card records them too. */
export const TRAIN_ARGS = ['--arch', 'conv', '--window', '32', '--seed', '42', '--quiet'];

const series = readCsv(SOURCE);
const rows = series.timestamps.length;
const probation = Math.floor(rows * 0.15);
const incidents = readIncidents(LABELS);
const lines = ['timestamp,value'];
let dropped = 0;
for (let r = 0; r < probation; r++) {
  const t = series.timestamps[r];
  if (incidents.some((w) => t >= w.start && t <= w.end)) { dropped++; continue; }
  lines.push(`${series.rawTimestamps![r]},${series.data[r]}`);
}
mkdirSync(here('data'), { recursive: true });
writeFileSync(SLICE, `${lines.join('\n')}\n`);
const until = formatTimestamp(series.timestamps[probation - 1]);
process.stderr.write(`training slice: ${lines.length - 1} rows of ${rows} (first 15% up to ${until}, ${dropped} rows inside a NAB anomaly window removed) -> ${SLICE}\n`);

const { run } = await import('../train/cli.ts');
// Repo-relative paths, so the card does not record this machine's directories.
process.chdir(here('..'));
const code = await run(['--data', relative(process.cwd(), SLICE), '--out', relative(process.cwd(), OUT), ...TRAIN_ARGS]);
if (code) process.exit(code);

const cardFile = `${OUT}.json`;
const card = JSON.parse(readFileSync(cardFile, 'utf8')) as Record<string, unknown>;
card.description = [
  'Demo model for `vigil demo` (npm start). Trained by models/build-demo-model.ts:',
  `vigil train --data models/data/machine_temperature_train.csv --out models/machine_temperature ${TRAIN_ARGS.filter((a) => a !== '--quiet').join(' ')}.`,
  `Data: NAB realKnownCause/machine_temperature_system_failure.csv (MIT), probationary first 15% (up to ${until}),`,
  `minus the ${dropped} rows inside NAB's first labelled anomaly window; the replay in the demo starts after it.`,
  'The demo alerts with SPOT (q=3e-4) and 2-of-3 / close-after-12 hysteresis (simulators/demo/demo.ts DEMO_ALERTING).',
].join(' ');
writeFileSync(cardFile, `${JSON.stringify(card, null, 2)}\n`);
process.stderr.write(`wrote ${OUT}.onnx and ${cardFile}\n`);
