/** Number, time and HTML formatting for the pages: short, fixed-width where it helps scanning. */

import { esc } from '@vigil/plot';
import { formatShort } from '@vigil/runtime/util/format-number.ts';
import { formatTimestamp } from '@vigil/runtime/data/timestamp.ts';

/** Escape text for HTML (vigil's one escaping function, re-exported for the pages). */
export { esc };

/** One labelled figure of a stats strip; `value` is HTML (escape it first), the label is escaped here. */
export function stat(label: string, value: string, cls = ''): string {
  return `<div class="stat ${cls}"><dt>${esc(label)}</dt><dd>${value}</dd></div>`;
}

/** A score or threshold on the page: `formatShort` without a zero fraction (`20`, not `20.0`); `–` when missing. */
export function displayNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return formatShort(v).replace(/\.0+$/, '');
}

/** A rate with a unit, e.g. `12.4k/s`. */
export function rate(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M/s`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k/s`;
  return `${v.toFixed(v >= 100 ? 0 : 1)}/s`;
}

/** Milliseconds, e.g. `0.84 ms`, `12 ms`. */
export function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
}

/** A duration, e.g. `2h 05m`, `3m 20s`, `45s`. */
export function duration(msv: number): string {
  const s = Math.max(0, Math.round(msv / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

/** Epoch ms as `YYYY-MM-DD HH:MM:SS` UTC. */
export function utcTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '–';
  return formatTimestamp(ts);
}

/** Top contributing channels as `flow 62% · temp 21%`. */
export function contributors(list: { channel: string; share: number }[] | undefined, k = 3): string {
  // A channel with under 1% of the error explains nothing; listing it only adds noise.
  const shown = (list ?? []).slice(0, k).filter((c, i) => i === 0 || c.share >= 0.01);
  if (!shown.length) return '–';
  return shown
    .map((c) => `${esc(c.channel)} ${Math.round(c.share * 100)}%`)
    .join(' · ');
}

/** Dropped readings and windows: the total, each reason in the tooltip and below the number. */
export function droppedStat(dropped: Record<string, number> | undefined): string {
  if (!dropped) return stat('Dropped', '–');
  const parts = Object.entries(dropped).sort((a, b) => b[1] - a[1]);
  const total = parts.reduce((a, [, n]) => a + n, 0);
  const split = parts.map(([reason, n]) => `${esc(reason)} ${n}`).join(', ');
  return stat('Dropped', total ? `<span title="${split}">${total}</span> <span class="dim">${split}</span>` : '0', total ? 'stat-warn' : '');
}

/**
 * The "closed" cell of an alert closed unresolved (AlertEvent.unresolved): its sensor went silent for good, or vigil
 * evicted it to make room for a new one (window.maxSensors); both were shown as "silent".
 */
export function unresolvedCell(why: string, ms: number): string {
  const evicted = why === 'evicted';
  const title = evicted ? 'closed unresolved: vigil stopped watching its sensor, evicted to make room for a new one (window.maxSensors)' : 'closed unresolved: its sensor went silent for good';
  return `<span title="${title} (seen for ${duration(ms)})">unresolved, ${evicted ? 'evicted' : 'silent'}</span>`;
}
