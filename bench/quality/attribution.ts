/**
 * Whether vigil's alerts name the channel that is at fault: over the labelled faults whose set records the channels
 * they move first-hand (the synthetic pumps, the plant), the share of alerted fault rows whose largest `err_` column
 * (the alert's first contributor) is one of them. An operator sent to the wrong instrument loses the time the alert
 * won; the detection figures cannot see that.
 */
import type { LabelledRun } from './labelled-run.ts';
import type { VigilRun } from './vigil.ts';

/** Alerted fault rows with the faults' channels known, and how many of them named one of those channels first. */
export interface Attribution {
  rows: number;
  right: number;
}

/** One run's count (rows before `from` are not judged, as for the detection figures). */
export function attributionOf(run: LabelledRun, v: VigilRun, from: number): Attribution {
  const out: Attribution = { rows: 0, right: 0 };
  for (const e of run.events) {
    if (!e.channels?.length) continue;
    const wanted = new Set(e.channels.map((c) => v.card.channels.indexOf(c)).filter((k) => k >= 0));
    for (let t = Math.max(e.startRow, from, run.judgeFrom); t <= e.endRow && t < v.alert.length; t++) {
      if (!v.alert[t]) continue;
      out.rows++;
      if (wanted.has(v.top[t])) out.right++;
    }
  }
  return out;
}

/** Counts added up over runs. */
export function pooledAttribution(parts: Attribution[]): Attribution {
  return parts.reduce((a, b) => ({ rows: a.rows + b.rows, right: a.right + b.right }), { rows: 0, right: 0 });
}
