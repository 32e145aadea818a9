/**
 * The live page's panels that show a tick as it is, whatever sensor the page selected: recent alerts, the gateway's
 * adaptation decisions and the messages set aside (live.ts renders the status, the sensor list and the selected
 * sensor around them).
 */
import type { TickMessage } from '../server.ts';
import { causeLine, INCOMPLETE_TEXT, markText, outsideText } from '@vigil/runtime/alerts/alert-lines.ts';
import { timesThreshold } from '@vigil/runtime/util/format-number.ts';
import { contributors, displayNumber, duration, esc, unresolvedCell, utcTime } from './format.ts';
import { $ } from './dom.ts';

/** Decisions of adaptation on the gateway: when, what, which versions, why. */
export function renderMarks(msg: TickMessage): void {
  const marks = msg.marks ?? [];
  $('marks-panel').hidden = marks.length === 0;
  $('mark-rows').innerHTML = marks
    .map((m) => `<tr class="mark-${esc(m.outcome)}"><td class="num">${utcTime(m.at)}</td><td>${esc(m.outcome.replace('_', ' '))}</td><td>${esc(m.from ?? '')}${m.to && m.to !== m.from ? ` → ${esc(m.to)}` : ''}</td><td class="detail" title="${esc(m.detail)}">${esc(m.detail)}</td></tr>`)
    .join('');
}

export function renderRejected(msg: TickMessage): void {
  const { recent, byReason } = msg.rejected;
  $('rejected-panel').hidden = recent.length === 0;
  if (!recent.length) return;
  $('rejected-counts').innerHTML = Object.entries(byReason)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `<span class="chip">${esc(reason)} <b>${n}</b></span>`)
    .join('');
  $('rejected-rows').innerHTML = recent
    .map(
      (r) => `<tr><td class="num">${utcTime(r.at)}</td><td>${esc(r.reason)}</td><td class="name" title="${esc(r.topic)}">${esc(r.topic)}</td>
        <td class="detail" title="${esc(r.detail)}">${esc(r.detail)}</td><td class="payload" title="${esc(r.preview)}"><code>${esc(r.preview)}</code></td></tr>`,
    )
    .join('');
}

export function renderAlerts(msg: TickMessage): void {
  $('alert-rows').innerHTML = msg.alerts.length
    ? msg.alerts
        .map(
          (a) => `<tr data-name="${esc(a.sensor)}" data-start="${a.start}" data-end="${a.end ?? ''}" class="${a.end === null ? 'open' : ''}" title="show this alert on the plots">
          <td><span class="dot dot-${a.end === null ? 'alert' : 'closed'}"></span></td>
          <td class="name" title="${esc(a.sensor)}">${esc(a.sensor)}</td>
          <td class="num">${utcTime(a.start)}</td>
          <td class="num">${a.end === null ? '<b>open</b>' : a.unresolved ? unresolvedCell(a.unresolved, a.end - a.start) : a.marked ? `${duration(a.end - a.start)} <span class="alert-cause" title="${a.marked.command === 'maintenance' ? 'closed when an operator put the sensor under maintenance: its windows open no alert until then' : "closed after an operator set the sensor's level while it was open"}, not because the fault was seen to end">${esc(markText(a.marked))}</span>` : duration(a.end - a.start)}</td>
          <td><span class="sev sev-${a.critical ? 'critical' : 'warning'}">${a.critical ? 'critical' : 'warning'}</span></td>
          <td class="num">${displayNumber(a.peakScore)}${(a.peakThreshold ?? a.threshold) > 0 ? ` <span class="ratio">(${timesThreshold(a.peakScore, a.peakThreshold ?? a.threshold)})</span>` : ''}</td>
          <td class="num">${displayNumber(a.threshold)}</td>
          <td>${contributors(a.contributors)}${a.cause ? ` <span class="alert-cause">${esc(causeLine(a.cause, a.causeChannel))}</span>` : ''}${a.outside ? ` <span class="alert-cause">${esc(outsideText(a.outside))}</span>` : ''}${a.incomplete ? ` <span class="alert-cause">${esc(INCOMPLETE_TEXT)}</span>` : ''}</td></tr>`,
        )
        .join('')
    : '<tr><td colspan="8" class="empty">no alerts yet</td></tr>';
}
