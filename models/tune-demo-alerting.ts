/**
 * How the demo's alerting policy (simulators/demo/demo.ts DEMO_ALERTING) was chosen: score the bundled NAB file
 * once with the bundled model (same windowing, scaling, ONNX Runtime and scoring as the runtime), then replay the
 * scores from the demo's start through each candidate threshold (the runtime's own implementations, decide()
 * then learn) and k-of-n / close-after-m hysteresis; count alerts opening inside and outside NAB's labelled
 * windows. Tuned on the same file it is shown on: evidence that the demo works, not of generalisation.
 *   node bin/run-ts.mjs models/tune-demo-alerting.ts
 */
import { loadModel } from '@vigil/runtime/model/load.ts';
import { openModel } from '@vigil/runtime/inference/open-model.ts';
import { readCsv } from '@vigil/runtime/data/csv.ts';
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { slidingWindows } from '@vigil/runtime/window/sliding.ts';
import { applyScaler } from '@vigil/runtime/scaling/scaler.ts';
import { reconstructionScores } from '@vigil/runtime/scoring/reconstruction.ts';
import { createThreshold } from '@vigil/runtime/thresholds/factory.ts';
import { decide } from '@vigil/runtime/thresholds/threshold.ts';
import { readIncidents } from '../simulators/demo/nab-labels.ts';
import { DEMO_DEFAULTS } from '../simulators/cli/demo.ts';

const m = loadModel(DEMO_DEFAULTS.model);
const { resolved } = await openModel(m, { providers: ['cpu'] });
const s = readCsv(DEMO_DEFAULTS.data);
const W = m.card.window;
const C = m.card.channels.length;
const ws = slidingWindows(applyScaler(m.card.scaler, s.data), C, W, 1);
const out = await resolved.session.run(ws.data, ws.count);
const { scores } = reconstructionScores(ws.data, out.reconstruction, ws.count, W, C, m.card.scoring);
await resolved.session.close();
const incidents = readIncidents(DEMO_DEFAULTS.labels);
const from = parseTimestamp(DEMO_DEFAULTS.from);

const thresholds: Record<string, unknown>[] = [
  { kind: 'static' }, { kind: 'quantile' }, { kind: 'mad' }, { kind: 'telemanom' },
  { kind: 'spot', q: 1e-4 }, { kind: 'spot', q: 2e-4 }, { kind: 'spot', q: 3e-4 }, { kind: 'spot', q: 5e-4 }, { kind: 'spot', q: 1e-3 },
  { kind: 'dspot', q: 3e-4 },
];
const hysteresis = [[1, 1, 3], [2, 3, 12], [1, 1, 12]];
process.stdout.write(`alerts opening inside / outside NAB's labelled windows, replay from ${DEMO_DEFAULTS.from}\n`);
process.stdout.write(`${'threshold'.padEnd(28)}${hysteresis.map(([k, n, c]) => `open ${k}/${n}, close ${c}`.padEnd(34)).join('')}\n`);
for (const cfg of thresholds) {
  const cells = hysteresis.map(([k, n, closeAfter]) => {
    const th = createThreshold(cfg, m.card);
    const recent: number[] = [];
    let open = false, normal = 0, inside = 0, outside = 0;
    const caught = new Set<number>();
    for (let i = 0; i < ws.count; i++) {
      const t = s.timestamps[ws.ends[i]];
      if (t < from) continue;
      const a = decide(th, scores[i]).anomaly ? 1 : 0;
      recent.push(a);
      if (recent.length > n) recent.shift();
      if (!open && recent.reduce((x, y) => x + y, 0) >= k) {
        open = true;
        normal = 0;
        const j = incidents.findIndex((w) => t >= w.start && t <= w.end);
        if (j >= 0) { inside++; caught.add(j + 1); } else outside++;
      } else if (open) {
        normal = a ? 0 : normal + 1;
        if (normal >= closeAfter) open = false;
      }
    }
    return `${inside} in / ${outside} out (incidents ${[...caught].join(',') || '-'})`.padEnd(34);
  });
  process.stdout.write(`${JSON.stringify(cfg).padEnd(28)}${cells.join('')}\n`);
}
