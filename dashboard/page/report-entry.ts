/** The static report page: reads the embedded JSON and draws each sensor with the dashboard's plots. */
import type { ReportData } from '../report.ts';
import { SensorPlots } from './plots.ts';
import { duration, esc, displayNumber, stat, utcTime } from './format.ts';
import { timesThreshold } from '@vigil/runtime/util/format-number.ts';
import { $ } from './dom.ts';

type SensorData = ReportData['sensors'][number];

function fmt(v: number | string): string {
  return typeof v === 'number' ? displayNumber(v) : esc(v);
}

function facts(s: SensorData): { windows: number; flagged: number; max: number | null; first: number; last: number } {
  return { windows: s.stats.windows, flagged: s.stats.anomalous, max: s.stats.maxScore, first: s.raw[0]?.[0] ?? NaN, last: s.raw[s.raw.length - 1]?.[0] ?? NaN };
}

const shares = (list: readonly { channel: string; share: number }[] | undefined) => (list ?? []).map((c) => `${esc(c.channel)} ${Math.round(100 * c.share)}%`).join(', ');

/** One row of a sensor's alert table: when, how long, how bad, what drove it, what opened it, what a check found. */
function alertRow(a: NonNullable<SensorData['alerts']>[number]): string {
  const lasted = a.end === null ? '<b>open at the end</b>' : a.unresolved ? `${duration(a.end - a.start)}, unresolved (sensor silent)` : duration(a.end - a.start);
  const bar = a.peakThreshold > 0 ? ` <span class="ratio">(${timesThreshold(a.peakScore, a.peakThreshold)})</span>` : '';
  const sev = a.critical ? 'critical' : 'warning';
  return `<tr><td class="num">${utcTime(a.start)}</td><td class="num">${lasted}</td><td><span class="sev sev-${sev}">${sev}</span>${a.escalations ? ` <span class="dim">escalated${a.escalations > 1 ? ` ${a.escalations}x` : ''}</span>` : ''}</td><td class="num">${displayNumber(a.peakScore)}${bar}</td><td>${shares(a.channels)}</td><td>${shares(a.openedOn)}</td><td>${[a.found, a.outside].filter(Boolean).map((t) => esc(t!)).join('<br>')}</td></tr>`;
}

const slug = (name: string, i: number) => `sensor-${i}-${name.replace(/[^\w-]+/g, '_')}`;

function render(d: ReportData): void {
  $('report-title').textContent = d.title;
  $('report-meta').textContent = [d.subtitle, `generated ${utcTime(Date.parse(d.generatedAt))} UTC`].filter(Boolean).join(' · ');
  const all = d.sensors.map(facts);
  const windows = all.reduce((a, f) => a + f.windows, 0);
  const flagged = all.reduce((a, f) => a + f.flagged, 0);
  const spans = d.sensors.reduce((a, s) => a + s.spans.length, 0);
  $('stats').innerHTML = [
    d.model ? stat('Model', `${esc(d.model.name)} <span class="dim">v${esc(d.model.version)}</span>`) : '',
    d.provider ? stat('Provider', esc(d.provider)) : '',
    stat(d.sensors.length === 1 ? 'Series' : 'Sensors', String(d.sensors.length)),
    stat('Windows', windows.toLocaleString()),
    stat('Anomalous windows', flagged.toLocaleString(), flagged ? 'stat-alert' : ''),
    stat('Alert spans', String(spans), spans ? 'stat-alert' : ''),
    ...Object.entries(d.metrics ?? {}).map(([k, v]) => stat(k, fmt(v))),
  ].join('');

  const metricKeys = [...new Set(d.sensors.flatMap((s) => Object.keys(s.metrics ?? {})))];
  $('summary-head').innerHTML = `<tr><th></th><th>Sensor</th><th>From (UTC)</th><th>Span</th><th>Windows</th><th>Anomalous</th><th>Alert spans</th><th>Max score</th>${metricKeys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
  $('summary-rows').innerHTML = d.sensors
    .map((s, i) => {
      const f = all[i];
      const state = s.spans.length ? 'alert' : 'ok';
      return `<tr data-target="${slug(s.name, i)}" data-name="${esc(s.name)}" class="state-${state}">
        <td><span class="dot dot-${state}"></span></td><td class="name" title="${esc(s.name)}">${esc(s.name)}</td>
        <td class="num">${utcTime(f.first)}</td><td class="num">${duration(f.last - f.first)}</td>
        <td class="num">${f.windows.toLocaleString()}</td><td class="num">${f.flagged.toLocaleString()}</td><td class="num">${s.spans.length}</td>
        <td class="num">${displayNumber(f.max)}</td>${metricKeys.map((k) => `<td class="num">${s.metrics?.[k] !== undefined ? fmt(s.metrics[k]) : '–'}</td>`).join('')}</tr>`;
    })
    .join('');
  $('summary-rows').addEventListener('click', (ev) => {
    const tr = (ev.target as HTMLElement).closest('tr[data-target]') as HTMLElement | null;
    if (tr) document.getElementById(tr.dataset.target!)?.scrollIntoView({ behavior: 'smooth' });
  });

  const host = $('sensors');
  // Plots are drawn when a section nears the viewport, so a report of many long series opens quickly.
  const pending = new Map<Element, () => void>();
  const io =
    typeof IntersectionObserver !== 'undefined'
      ? new IntersectionObserver(
          (entries) => {
            for (const e of entries) {
              if (!e.isIntersecting) continue;
              pending.get(e.target)?.();
              pending.delete(e.target);
              io?.unobserve(e.target);
            }
          },
          { rootMargin: '600px 0px' },
        )
      : null;
  d.sensors.forEach((s, i) => {
    const f = all[i];
    const sec = document.createElement('section');
    sec.className = 'panel sensor';
    sec.id = slug(s.name, i);
    const m = Object.entries(s.metrics ?? {}).map(([k, v]) => `<span><b>${esc(k)}</b> ${fmt(v)}</span>`);
    const alerts = s.alerts ?? [];
    const alertTable = alerts.length
      ? `<div class="report-alerts"><div class="panel-head">Alerts (${alerts.length})</div><table class="list"><thead><tr><th>Opened (UTC)</th><th>Lasted</th><th>Severity</th><th>Peak</th><th>Driven by (worst window)</th><th>Opened on</th><th>Found</th></tr></thead><tbody>${alerts.map(alertRow).join('')}</tbody></table></div>`
      : '';
    sec.innerHTML = `<div class="detail-head"><h1>${esc(s.name)}</h1><span class="badge badge-${s.spans.length ? 'alert' : 'ok'}">${s.spans.length ? `${s.spans.length} alert span${s.spans.length === 1 ? '' : 's'}` : 'no alerts'}</span>
      <div class="facts"><span><b>windows</b> ${f.windows.toLocaleString()}</span><span><b>anomalous</b> ${f.flagged.toLocaleString()}</span><span><b>max score</b> ${displayNumber(f.max)}</span><span><b>from</b> ${utcTime(f.first)} UTC</span><span><b>span</b> ${duration(f.last - f.first)}</span>${m.join('')}</div></div>
      <div class="plots"></div>
      <div class="legend-note"><span class="sw sw-alert"></span>alert span <span class="sw sw-thr"></span>threshold <span class="sw sw-score"></span>${esc(d.scoreLabel ?? 'reconstruction error')}${s.labels.length ? ' <span class="sw sw-label"></span>labelled anomaly window' : ''}${s.trained ? ' <span class="sw sw-trained"></span>training rows' : ''} · drag to zoom, double-click to reset</div>${alertTable}`;
    host.append(sec);
    // Few channels get taller strips: a report is read at leisure, and long series need the height.
    const size = { rawHeight: s.channels.length <= 2 ? 130 : 96, scoreHeight: 230, logScore: d.logScore, scoreLabel: d.scoreLabel };
    const draw = () => new SensorPlots(sec.querySelector('.plots') as HTMLElement, s.channels, size).setData(s);
    if (io) {
      pending.set(sec, draw);
      io.observe(sec);
    } else draw();
  });
  $('notes').innerHTML = (d.notes ?? []).map((n) => `<p>${esc(n)}</p>`).join('');
  document.body.dataset.ready = 'true';
}

render(JSON.parse(($('vigil-report-data').textContent ?? '{}')) as ReportData);
