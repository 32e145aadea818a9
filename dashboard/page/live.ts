/**
 * The live page: one Server-Sent Events stream per selected sensor (`events?sensor=NAME`) delivers the
 * status, the sensor list, recent alerts and the selected sensor's new points every tick.
 */
import type { TickMessage } from '../server.ts';
import { SensorPlots, type RawRow, type ScoreRow } from './plots.ts';
import { displayNumber, droppedStat, duration, esc, ms, rate, stat, utcTime } from './format.ts';
import { mountScoring } from './drop.ts';
import { sensorBadge, sensorFacts } from './facts.ts';
import { mountCommand, showCommands } from './commands.ts';
import { $ } from './dom.ts';
import { renderAlerts, renderMarks, renderRejected } from './tick-panels.ts';

/** Most points a page keeps for the selected sensor; the server's ring is usually smaller. */
const MAX_POINTS = 20_000;


const state = {
  selected: null as string | null,
  es: null as EventSource | null,
  plots: null as SensorPlots | null,
  raw: [] as RawRow[],
  scores: [] as ScoreRow[],
  lastTick: 0,
  ticks: 0,
  filter: '',
  last: null as TickMessage | null,
  /** An alert clicked in the list: its span, to zoom to once its sensor's plots hold data. */
  zoomTo: null as { start: number; end: number } | null,
};

// Read by the browser tests and handy in the console.
(window as unknown as { vigil: typeof state }).vigil = state;

function selectedFromHash(): string | null {
  const m = /^#sensor=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function connect(): void {
  state.es?.close();
  const q = new URLSearchParams();
  if (state.selected) q.set('sensor', state.selected);
  if (state.filter) q.set('filter', state.filter);
  const qs = q.toString();
  const es = new EventSource(`events${qs ? `?${qs}` : ''}`);
  state.es = es;
  es.addEventListener('tick', (ev) => onTick(JSON.parse((ev as MessageEvent).data) as TickMessage));
  es.onerror = () => setConn('reconnecting', 'reconnecting…');
}

function select(name: string): void {
  if (name === state.selected) return;
  state.selected = name;
  history.replaceState(null, '', `#sensor=${encodeURIComponent(name)}`);
  state.raw = [];
  state.scores = [];
  state.plots?.destroy();
  state.plots = null;
  // The key belongs to the sensor whose windows are shaded: hidden until the new one's tick says it has any.
  $('label-key').hidden = true;
  connect();
  if (state.last) render(state.last);
}

/** Zoom the plots to the alert clicked, with half its length (at least a twentieth of the view) either side. */
function zoomToAlert(): void {
  const z = state.zoomTo;
  const shown = state.plots?.shownRange;
  if (!z || !state.plots || !shown || state.scores.length === 0) return;
  const end = Number.isFinite(z.end) ? z.end : state.scores[state.scores.length - 1][0];
  const pad = Math.max((end - z.start) / 2, (shown.to - shown.from) / 20);
  state.plots.zoomTo(z.start - pad, end + pad);
  state.zoomTo = null;
}

function onTick(msg: TickMessage): void {
  state.lastTick = Date.now();
  state.ticks++;
  state.last = msg;
  if (!state.selected && msg.sensors.length) {
    // Land on the sensor that needs attention first (the list puts alerting sensors on top).
    select(msg.sensors[0].name);
    // select rendered this tick: the header says so too, not "connecting…" until the sensor's own stream answers
    // (a headless screenshot caught the page in between: sensors listed, header still connecting).
    showConn(msg);
    return;
  }
  const sel = msg.selected;
  if (sel && sel.name === state.selected) {
    if (sel.reset) {
      state.raw = sel.raw as RawRow[];
      state.scores = sel.scores as ScoreRow[];
    } else {
      state.raw.push(...(sel.raw as RawRow[]));
      state.scores.push(...(sel.scores as ScoreRow[]));
      if (state.raw.length > MAX_POINTS) state.raw.splice(0, state.raw.length - MAX_POINTS);
      if (state.scores.length > MAX_POINTS) state.scores.splice(0, state.scores.length - MAX_POINTS);
    }
    // The score's name follows the card (a hot reload may change it): a Mahalanobis distance is no reconstruction error.
    const scoreLabel = msg.status.scoreLabel ?? 'reconstruction error';
    $('score-key').textContent = scoreLabel;
    if (!state.plots || state.plots.channels.join('\u0000') !== sel.channels.join('\u0000') || state.plots.scoreLabel !== scoreLabel) {
      state.plots?.destroy();
      // Few channels get taller strips; many stay compact so the error plot stays on screen.
      const rawHeight = sel.channels.length <= 2 ? 140 : sel.channels.length <= 4 ? 96 : 72;
      state.plots = new SensorPlots($('plots'), sel.channels, { logScore: ($('log-score') as HTMLInputElement).checked, rawHeight, scoreLabel });
    }
    state.plots.setData({ channels: sel.channels, raw: state.raw, scores: state.scores, spans: sel.spans, labels: sel.labels ?? [] });
    zoomToAlert();
    $('label-key').hidden = !sel.labels?.length;
  }
  render(msg);
  showConn(msg);
}

/** The connection indicator for a tick received. */
function showConn(msg: TickMessage): void {
  // Connected is not the same as receiving data: say so when the pipeline has gone quiet.
  const idle = msg.status.idleS;
  // The broker lost is not a quiet plant: say which (a re-probe saw only 'no data for 31s' while /health was degraded).
  if (msg.status.broker === 'lost') setConn('lost', 'broker unreachable: no readings in, alerts held back');
  else if (idle === null) setConn('stale', 'waiting for data');
  else if (idle >= 10) setConn('stale', `no data for ${duration(idle * 1000)}`);
  else setConn('live', 'live');
}

function setConn(cls: string, text: string): void {
  const el = $('conn');
  el.className = `conn conn-${cls}`;
  el.textContent = text;
}

function render(msg: TickMessage): void {
  const s = msg.status;
  $('stats').innerHTML = [
    stat('Model', s.model ? `${esc(s.model.name)} <span class="dim">v${esc(s.model.version)}</span>` : '–'),
    stat('Provider', esc(s.provider ?? '–')),
    stat('Batch mean / size', `${s.effectiveBatch !== undefined ? s.effectiveBatch.toFixed(1) : '–'} <span class="dim">/</span> ${s.batchSize ?? '–'}`),
    stat('Throughput', `${rate(s.throughput)} <span class="dim">windows</span>`),
    stat('Latency p50 / p99', s.latencyMs ? `${ms(s.latencyMs.p50)} <span class="dim">/</span> ${ms(s.latencyMs.p99)}` : '–'),
    stat('Sensors', String(s.sensors)),
    stat('Open alerts', String(s.openAlerts), s.openAlerts ? 'stat-alert' : ''),
    stat('Rejected', s.rejected !== undefined ? String(s.rejected) : '–', s.rejected ? 'stat-warn' : ''),
    droppedStat(s.dropped),
    stat('Up', duration(s.uptimeS * 1000)),
  ].join('');
  renderSensors(msg);
  renderDetail(msg);
  renderAlerts(msg);
  renderRejected(msg);
  renderMarks(msg);
}

function renderSensors(msg: TickMessage): void {
  // The server filters (it knows every sensor; the page gets at most a few hundred).
  const f = state.filter.toLowerCase();
  const rows = msg.sensors.filter((x) => !f || x.name.toLowerCase().includes(f) || x.name === state.selected);
  const { total, matched } = msg.listed;
  $('sensor-count').textContent = f ? `${matched} of ${total}` : `${total}`;
  const more = matched > rows.length ? `<tr><td colspan="4" class="empty">showing ${rows.length} of ${matched}; type to filter</td></tr>` : '';
  $('sensor-rows').innerHTML = (rows.length
    ? rows
        .map((x) => {
          const ratio = x.score !== null && x.threshold ? x.score / x.threshold : null;
          const bar = ratio === null ? 0 : Math.min(100, ratio * 50); // threshold sits at the middle of the bar
          const stale = msg.now - x.seenAt > 30_000 ? ' stale' : '';
          return `<tr data-name="${esc(x.name)}" class="state-${x.state}${x.name === state.selected ? ' selected' : ''}${stale}">
            <td><span class="dot dot-${x.state}${x.silent && x.state === 'alert' ? ' dot-quiet' : ''}" title="${x.state}${x.silent && x.state === 'alert' ? ', silent' : ''}"></span></td>
            <td class="name" title="${esc(x.name)}">${esc(x.name)}${x.invalid ? ` <span class="invalid" title="${x.invalid.count} reading(s) refused since the page started (the last: ${esc(x.invalid.reason)} at ${utcTime(x.invalid.at)} UTC): see Messages set aside">invalid</span>` : ''}</td>
            <td title="score ${displayNumber(x.score)} / threshold ${displayNumber(x.threshold)}"><span class="ratio"><span class="bar"><i style="width:${bar.toFixed(1)}%"></i></span><span class="num">${ratio === null ? '–' : ratio.toFixed(2)}</span></span></td>
            <td class="num">${x.alerts}</td></tr>`;
        })
        .join('')
    : `<tr><td colspan="4" class="empty">${total ? 'no sensor matches the filter' : 'waiting for the first readings…'}</td></tr>`) + more;
}

function renderDetail(msg: TickMessage): void {
  showCommands([$('mark-normal'), $('back-to-trained')], $('mark-said'), msg);
  $('maintenance').hidden = !(msg.status.maintenance && msg.selected);
  const x = msg.sensors.find((s) => s.name === state.selected);
  if (!x) {
    $('detail-name').textContent = state.selected ?? 'No sensor yet';
    $('detail-state').className = 'badge';
    $('detail-state').textContent = '';
    $('detail-facts').innerHTML = '';
    return;
  }
  $('detail-name').textContent = x.name;
  const badge = sensorBadge(x, msg.selected);
  $('detail-state').className = `badge badge-${badge.kind}`;
  $('detail-state').textContent = badge.text;
  const facts = sensorFacts(x, msg.selected);
  $('detail-facts').innerHTML = facts.map(([k, v]) => `<span><b>${esc(k)}</b> ${k === 'top channels' ? v : esc(v)}</span>`).join('');
}

function showTab(name: 'live' | 'score'): void {
  for (const t of ['live', 'score'] as const) {
    $(`view-${t}`).hidden = t !== name;
    $(`tab-${t}`).classList.toggle('active', t === name);
  }
  // The status bar describes the live pipeline; it would only distract from a file being scored.
  $('stats').hidden = name !== 'live';
}

function main(): void {
  state.selected = selectedFromHash();
  // A sensor's address typed or pasted into an open tab (select's own replaceState fires no hashchange).
  window.addEventListener('hashchange', () => {
    const name = selectedFromHash();
    if (name) select(name);
  });
  for (const id of ['sensor-rows', 'alert-rows']) {
    $(id).addEventListener('click', (ev) => {
      const tr = (ev.target as HTMLElement).closest('tr[data-name]') as HTMLElement | null;
      if (!tr?.dataset.name) return;
      // An alert: its sensor, zoomed to the alert (an open one: up to now).
      if (id === 'alert-rows' && tr.dataset.start) state.zoomTo = { start: Number(tr.dataset.start), end: tr.dataset.end ? Number(tr.dataset.end) : Number.NaN };
      select(tr.dataset.name);
      zoomToAlert();
    });
  }
  let refilter: ReturnType<typeof setTimeout> | undefined;
  $('filter').addEventListener('input', (ev) => {
    state.filter = (ev.target as HTMLInputElement).value.trim();
    if (state.last) renderSensors(state.last);
    clearTimeout(refilter);
    refilter = setTimeout(connect, 250);
  });
  $('log-score').addEventListener('change', () => {
    state.plots?.destroy();
    state.plots = null;
    if (state.last?.selected) onTick({ ...state.last, selected: { ...state.last.selected, raw: [], scores: [] } });
  });
  $('reset-zoom').addEventListener('click', () => state.plots?.resetZoom());
  for (const [id, what] of [['mark-normal', 'normal'], ['back-to-trained', 'trained'], ['maintenance', 'maintenance']] as const) mountCommand($(id), what, $('mark-said'), () => state.selected);
  // Up/down (or k/j) walk the sensor list; '/' jumps to the filter.
  document.addEventListener('keydown', (ev) => {
    if ((ev.target as HTMLElement).closest('input, textarea') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === '/') {
      ev.preventDefault();
      $('filter').focus();
      return;
    }
    const step = ev.key === 'ArrowDown' || ev.key === 'j' ? 1 : ev.key === 'ArrowUp' || ev.key === 'k' ? -1 : 0;
    if (!step) return;
    const names = Array.from(document.querySelectorAll<HTMLElement>('#sensor-rows tr[data-name]'), (tr) => tr.dataset.name!);
    if (!names.length) return;
    ev.preventDefault();
    const i = state.selected ? names.indexOf(state.selected) : -1;
    select(names[Math.min(names.length - 1, Math.max(0, i + step))]);
  });
  $('tab-live').addEventListener('click', () => showTab('live'));
  $('tab-score').addEventListener('click', () => showTab('score'));
  if (location.hash === '#score') showTab('score');
  mountScoring($('drop'), $('score-result'));
  setInterval(() => {
    if (state.lastTick && Date.now() - state.lastTick > 7000 && state.es?.readyState === EventSource.OPEN) setConn('stale', 'no updates');
  }, 1000);
  connect();
}

main();
