/**
 * Timestamp parsing shared by CSV readers and payload codecs.
 * Accepts ISO 8601, `YYYY-MM-DD HH:MM:SS[.fff]` (read as UTC, whatever the host's time zone), and epoch seconds,
 * milliseconds, microseconds or nanoseconds (told apart by magnitude).
 */

const SPACE_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;
/**
 * What Date.parse may read: a date alone (UTC by the standard) or a time that names its zone. Any other string
 * falls to V8's legacy parser, which reads it in the host's time zone (a probe: `2026-12-07 08:10:09 PM` an hour
 * off on a gateway set to Europe/Berlin), so it is no timestamp.
 */
const DATE_PARSE_FORM = /^\d{4}-\d{2}-\d{2}(?:$|[ T].*(?:[zZ]|[+-]\d{2}(?::?\d{2})?|\b(?:UTC|GMT))$)/;
/** Epoch values below this are seconds, above it milliseconds (1e11 s is year 5138, 1e11 ms is 1973). */
const EPOCH_MS_CUTOFF = 1e11;
/**
 * Above these, microseconds and nanoseconds (1e14 ms is year 5138, 1e14 us and 1e17 ns are 1973): InfluxDB 1.x
 * exports and its line protocol stamp in nanoseconds by default, which read as milliseconds put a 2014 reading in
 * year 44 million (`vigil score` scored a whole export so, noting rows "every 3472d 5h").
 */
const EPOCH_US_CUTOFF = 1e14;
const EPOCH_NS_CUTOFF = 1e17;
/** The largest epoch ms a Date holds (ECMA-262 time values). */
const MAX_DATE_MS = 8.64e15;

/** Parse one timestamp to epoch milliseconds, or return NaN when it is not a timestamp. */
export function parseTimestamp(raw: string | number): number {
  if (typeof raw === 'number') return epochToMs(raw);
  const s = raw.trim();
  if (s === '') return NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) return epochToMs(Number(s));
  const m = SPACE_DATETIME.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, sec, frac] = m;
    if (!realDate(+y, +mo, +d) || +h > 23 || +mi > 59 || (sec !== undefined && +sec > 59)) return NaN;
    const ms = frac ? Math.round(Number(frac) * 1000) : 0;
    return Date.UTC(+y, +mo - 1, +d, +h, +mi, sec ? +sec : 0, ms);
  }
  // Full ISO 8601 with an offset or Z; Date.parse handles it, and rejects junk as NaN, but rolls 2024-02-30 over to
  // March: a day the calendar does not have is no timestamp either.
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (date) return realDate(+date[1], +date[2], +date[3]) && DATE_PARSE_FORM.test(s) ? Date.parse(s) : NaN;
  return NaN;
}

/** Whether year-month-day is a day of the calendar (month 1-12, day within its month). */
function realDate(y: number, mo: number, d: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

function epochToMs(v: number): number {
  if (!Number.isFinite(v)) return NaN;
  const a = Math.abs(v);
  const ms = a < EPOCH_MS_CUTOFF ? v * 1000 : a < EPOCH_US_CUTOFF ? v : a < EPOCH_NS_CUTOFF ? v / 1e3 : v / 1e6;
  // Past what a Date can hold (year 275760) no time: printing one stopped vigil score with 'Invalid time value'.
  return Math.abs(ms) <= MAX_DATE_MS ? ms : NaN;
}

/** Format epoch ms the way NAB files do: `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}
