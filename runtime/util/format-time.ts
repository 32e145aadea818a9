/** Times and durations as alert lines print them (`vigil alerts`, `vigil score`, the demo). */

/** `2013-12-11 06:00` from epoch ms or ISO text (UTC, minutes; seconds when not whole minutes, or always with `seconds`). */
export function shortTime(t: number | string | undefined, seconds = false): string {
  if (t === undefined) return '?';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) return String(t);
  const iso = new Date(ms).toISOString();
  return ms % 60_000 === 0 && !seconds ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Two times alike: with seconds on both when either has them (`16:00:55 to 16:01:00`, not `16:00:55 to 16:01`). */
export function shortTimes(a: number, b: number): [string, string] {
  const seconds = a % 60_000 !== 0 || b % 60_000 !== 0;
  return [shortTime(a, seconds), shortTime(b, seconds)];
}

/** `3d 4h`, `2h 05m`, `12m 30s`, `45s`. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
