/** Durations written as text: `500ms`, `30s`, `10m` (or `10min`), `2h`, `1d`. */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** `text` in ms, a bare number read in `bare` units (none: a unit is required); undefined when it is no duration. */
export function durationMs(text: string, bare?: 'ms' | 's'): number | undefined {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|min|m|h|d)?\s*$/.exec(text);
  const unit = m?.[2] ?? bare;
  return m && unit ? Number(m[1]) * UNITS[unit] : undefined;
}
