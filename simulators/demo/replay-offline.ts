/**
 * The demo replayed to the end in seconds, offline: the rows the demo publishes (from DEMO_DEFAULTS.from) go
 * through the same pipeline as `vigil run` (runtime/stream/score-series.ts: windows, ONNX Runtime, the
 * demo's threshold and alert policy) and every alert is matched against NAB's labelled windows.
 *   node bin/run-ts.mjs simulators/demo/replay-offline.ts [--threshold '{"kind":"spot","q":3e-4}'] [--alerts 2/3/12]
 */
import { readCsv } from '@vigil/runtime/data/csv.ts';
import { sliceRows } from '@vigil/runtime/data/series.ts';
import { formatTimestamp, parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { openModel } from '@vigil/runtime/inference/open-model.ts';
import { loadModel } from '@vigil/runtime/model/load.ts';
import { scoreSeries } from '@vigil/runtime/stream/score-series.ts';
import type { AlertEvent } from '@vigil/runtime/stream/types.ts';
import { DEMO_ALERTING } from './demo.ts';
import { readIncidents, type Incident } from './nab-labels.ts';

/** Where the replay's alerts fell. */
export interface DemoReplayResult {
  /** Labelled incidents after the replay start, with the first alert opening inside each (ms after its window start) or null. */
  incidents: { incident: Incident; openedAfterMs: number | null }[];
  /** Alerts opened outside every labelled window. */
  outside: AlertEvent[];
  events: AlertEvent[];
  /** Threshold level at the first and last scored window and its maximum. */
  level: { first: number; max: number; last: number };
}

/** Replay `data` from `from` through the pipeline with the demo's alerting (or `threshold`) and judge the alerts. */
export async function replayDemoOffline(o: { model: string; data: string; labels: string; from: string; threshold?: unknown; hysteresis?: { openK: number; openN: number; closeM: number } }): Promise<DemoReplayResult> {
  const model = loadModel(o.model);
  const all = readCsv(o.data, { channels: model.card.channels });
  const from = parseTimestamp(o.from);
  const start = all.timestamps.findIndex((t) => t >= from);
  const series = sliceRows(all, start, all.timestamps.length);
  const opened = await openModel(model, { providers: ['cpu'] });
  const { openK, openN, closeM } = o.hysteresis ?? DEMO_ALERTING.hysteresis;
  const res = await scoreSeries(series, opened.ref, {
    sensor: 'demo',
    threshold: o.threshold ?? DEMO_ALERTING.threshold,
    alertOpen: { k: openK, n: openN },
    alertClose: closeM,
  }).finally(() => opened.ref.close());
  const labelled = readIncidents(o.labels).filter((w) => w.end >= from);
  const opens = res.events.filter((e) => e.type === 'open');
  const inside = (e: AlertEvent, w: Incident) => e.tsLast >= w.start && e.tsLast <= w.end;
  const levels = [...res.thresholds.filter((_, r) => res.scored[r])];
  return {
    incidents: labelled.map((w) => {
      const hit = opens.find((e) => inside(e, w));
      return { incident: w, openedAfterMs: hit ? hit.tsLast - w.start : null };
    }),
    outside: opens.filter((e) => !labelled.some((w) => inside(e, w))),
    events: res.events,
    level: { first: levels[0], max: Math.max(...levels), last: levels[levels.length - 1] },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { DEMO_DEFAULTS } = await import('../cli/demo.ts');
  const i = process.argv.indexOf('--threshold');
  const threshold = i > 0 ? JSON.parse(process.argv[i + 1]) : undefined;
  const j = process.argv.indexOf('--alerts');
  const [openK, openN, closeM] = j > 0 ? process.argv[j + 1].split('/').map(Number) : [];
  const hysteresis = j > 0 ? { openK, openN, closeM } : undefined;
  const r = await replayDemoOffline({ ...DEMO_DEFAULTS, threshold, hysteresis });
  const h = (ms: number) => `${(ms / 3_600_000).toFixed(1)} h`;
  const lines = [`threshold ${JSON.stringify(threshold ?? DEMO_ALERTING.threshold)}, alerts ${JSON.stringify(hysteresis ?? DEMO_ALERTING.hysteresis)}, replay from ${DEMO_DEFAULTS.from}`];
  for (const e of r.events) lines.push(`  ${e.type.padEnd(5)} ${formatTimestamp(e.tsLast)}  score ${e.score.toPrecision(3)}  threshold ${e.threshold.toPrecision(3)}`);
  for (const { incident, openedAfterMs } of r.incidents) {
    lines.push(`labelled ${formatTimestamp(incident.at)}: ${openedAfterMs === null ? 'MISSED' : `alert opened ${h(openedAfterMs)} after the window start`}`);
  }
  lines.push(`alerts opened outside labelled windows: ${r.outside.length}${r.outside.map((e) => ` ${formatTimestamp(e.tsLast)}`).join(',')}`);
  lines.push(`threshold level: first ${r.level.first.toPrecision(3)}, max ${r.level.max.toPrecision(3)}, last ${r.level.last.toPrecision(3)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
