/** Alert spans from per-window anomaly flags, for offline results (reports, in-browser scoring). */
import type { Series } from '@vigil/runtime/data/series.ts';
import { labelFlags } from '@vigil/runtime/data/labels.ts';

/** A span of consecutive anomalous windows, epoch ms of the first and last flagged window end. */
export interface FlagSpan {
  start: number;
  end: number;
  /** Index of the first and last flagged window. */
  first: number;
  last: number;
}

/** Merge consecutive flagged windows into spans; gaps of up to `bridge` unflagged windows are closed. */
export function spansFromFlags(ts: ArrayLike<number>, flags: ArrayLike<number | boolean>, bridge = 0): FlagSpan[] {
  const out: FlagSpan[] = [];
  let cur: FlagSpan | null = null;
  for (let i = 0; i < flags.length; i++) {
    if (!flags[i]) continue;
    if (cur && i - cur.last - 1 <= bridge) {
      cur.last = i;
      cur.end = ts[i];
    } else {
      cur = { start: ts[i], end: ts[i], first: i, last: i };
      out.push(cur);
    }
  }
  return out;
}

/** Alert spans from open/close events in order; an alert still open at the end has `end` null. */
export function spansFromEvents(events: { type: 'open' | 'escalate' | 'close'; tsLast: number }[]): { start: number; end: number | null }[] {
  const out: { start: number; end: number | null }[] = [];
  for (const e of events) {
    if (e.type === 'open') out.push({ start: e.tsLast, end: null });
    else if (e.type === 'close' && out.length && out[out.length - 1].end === null) out[out.length - 1].end = e.tsLast;
  }
  return out;
}

/** Label bands of a series: the rows its label column marks (runtime/data/labels.ts), merged into spans. */
export function labelSpans(series: Pick<Series, 'extra' | 'timestamps'>): { start: number; end: number }[] {
  const flags = labelFlags(series);
  return flags ? spansFromFlags(series.timestamps, flags).map(({ start, end }) => ({ start, end })) : [];
}
