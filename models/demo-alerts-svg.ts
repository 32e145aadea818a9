/**
 * The demo's picture: NAB machine_temperature with its labelled failure windows shaded (dashed: the labelled
 * instant), the training stretch tinted, and what the runtime alerted on as red spans (open to close) under the
 * axis. Drawn with @vigil/plot; `models/plot-demo-alerts.ts` runs the demo and writes it.
 */
import { band, el, envelopePoints, linearScale, marker, svgDoc, text, yAxis } from '@vigil/plot';
import type { Series } from '@vigil/runtime/data/series.ts';
import type { Incident } from '../simulators/demo/nab-labels.ts';
import type { AlertMessage } from '../simulators/alerts/format.ts';

/** What the picture shows. */
export interface DemoAlertsInput {
  /** The whole recording (one channel). */
  series: Series;
  /** Epoch ms where the replay (and scoring) starts; before it is training data. */
  from: number;
  incidents: Incident[];
  alerts: Pick<AlertMessage, 'type' | 'sensor' | 'tsLast'>[];
  /** For the caption: replay start as given and replay speed. */
  fromText: string;
  speed: number;
}

/** Render the demo's alerts against NAB's labels as an SVG document. */
export function demoAlertsSvg(d: DemoAlertsInput): string {
  const W = 1200, H = 360, L = 50, R = 10, T = 40, B = 50;
  const box = { left: L, right: W - R, top: T, bottom: H - B };
  const s = d.series, rows = s.timestamps.length;
  const t0 = s.timestamps[0], t1 = s.timestamps[rows - 1];
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const ys = linearScale(0, 110, box.bottom, box.top, { count: 5 });
  const opens = d.alerts.filter((a) => a.type === 'open');
  const out: string[] = [
    text(L, 18, `vigil demo: NAB machine_temperature_system_failure, what the runtime alerted on (${opens.length} alerts)`, { 'font-size': 13, 'font-weight': 'bold' }),
    ...yAxis(ys, box, String, { fill: '#666' }),
    band(L, x(d.from), box, '#1f77b4', 0.07),
    text(L + 4, T + 12, 'training (probationary 15%, labelled window removed)', { fill: '#1f77b4' }),
  ];
  for (const w of d.incidents) out.push(band(x(w.start), x(w.end), box, '#999', 0.25), ...marker(x(w.at), box, { dash: '3,3' }));
  out.push(el('polyline', { points: envelopePoints(rows, (r) => s.data[r], W - L - R, L, W - L - R - 1, ys.map), fill: 'none', stroke: '#1f77b4', 'stroke-width': 0.8 }));
  for (const o of opens) {
    const close = d.alerts.find((a) => a.type === 'close' && a.sensor === o.sensor && a.tsLast! >= o.tsLast!);
    const xa = x(o.tsLast!);
    out.push(el('rect', { x: xa, y: H - B + 4, width: Math.max(x(close?.tsLast ?? o.tsLast!) - xa, 3), height: 10, fill: '#d62728' }));
  }
  for (let day = Date.UTC(2013, 11, 15); day < t1; day += 7 * 86_400_000) {
    out.push(text(x(day), H - B + 28, new Date(day).toISOString().slice(0, 10), { 'text-anchor': 'middle', fill: '#666' }));
  }
  out.push(text(L, H - 6, `grey: NAB labelled failure windows (dashed: labelled instant); red: alerts (open to close) from the live pipeline; replay from ${d.fromText} at ${d.speed}x`, { fill: '#555' }));
  return svgDoc(W, H, out);
}
