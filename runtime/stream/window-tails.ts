/**
 * Windows that span a restart. A sensor's window needs W readings before it is scored, so every restart (an
 * upgrade, `systemctl restart`) left each sensor unjudged for its first W - 1 readings: a minute at 1 Hz with W 64,
 * two and a half hours for 5-minute data with W 32. At a stop each sensor's last W - 1 readings (as measured, in the
 * card's channel order) are written beside the state file; at the next start they are read, removed and fed to the
 * window stage before anything live (they fill the windows and are remembered as accepted: a QoS 1 redelivery of
 * one counts as a duplicate rather than being judged a second time), so the first live reading is judged at once.
 * A gap since the stop longer than the window reset limit restarts the window as it would live. A file that is not a
 * tails file is set aside (`<file>.corrupt-<time>`, runtime/util/set-aside.ts) for a person to look at. Failures to
 * read, write or remove the file are logged, never thrown: a start never fails on it.
 */
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { issueSummary } from '../util/describe-issues.ts';
import { keptFileBeside, readKept, removeKept, setAsideKept } from '../util/kept-file.ts';

/** A sensor's last readings: timestamps (epoch ms, increasing) and values (rows x the named channels). */
export interface SensorTail {
  sensor: string;
  ts: number[];
  values: number[][];
  /**
   * Each reading's digest as accepted (runtime/window/recent-readings.ts; null where no longer remembered): the
   * values above went through the scaler and back, so a redelivered copy is recognised by this, not by them.
   */
  digests?: (number | null)[];
  /** Wall clock of its last reading's arrival (epoch ms): a tail older than the idle eviction time is dropped. */
  lastSeen?: number;
  /**
   * What the rows cannot say: the last row with a channel held past its max age and the last with one forward-filled
   * (indices into ts, -1: none), and each channel's data time when last carried (null: never), so a channel dead
   * before the stop is not taken as present after it.
   */
  staleUpTo?: number;
  filledUpTo?: number;
  lastAt?: (number | null)[];
  /**
   * Its latest gaps counted missing, with the readings of each that may still come late (data-gaps.ts `lateIntoGap`):
   * one that comes after the restart is not counted again as out of order.
   */
  countedGaps?: { fromTs: number; toTs: number; left: number }[];
  /**
   * The readings accepted before the rows above that the sensor still remembered (within `window.duplicateHorizonMs`
   * of arrival, or among its last `duplicateHorizonReadings`): timestamps and digests. A QoS 1 copy of one after the
   * restart (acknowledged before the stop, its PUBACK not yet read by the broker) is a duplicate, as it would be
   * without the restart, not a reading refused out of order.
   */
  remembered?: { ts: number[]; digests: number[] };
}

/** What the file holds: the channels the values are in, and every sensor's tail. */
const TailsFileSchema = z.object({
  format: z.literal('vigil-window-tails/1'),
  channels: z.array(z.string()).min(1),
  sensors: z.array(
    z.object({
      sensor: z.string().min(1),
      ts: z.array(z.number()),
      values: z.array(z.array(z.number().nullable())),
      digests: z.array(z.number().int().nullable()).optional(),
      lastSeen: z.number().optional(),
      staleUpTo: z.number().int().min(-1).optional(),
      filledUpTo: z.number().int().min(-1).optional(),
      lastAt: z.array(z.number().nullable()).optional(),
      countedGaps: z.array(z.object({ fromTs: z.number(), toTs: z.number(), left: z.number().int().min(1) })).optional(),
      remembered: z.object({ ts: z.array(z.number()), digests: z.array(z.number().int()) }).optional(),
    }),
  ),
});

/**
 * Between the window stage and whoever keeps the tails: `seeds` are fed in when the stage starts (then emptied),
 * and the stage sets `read` to give every sensor's tail now (raw values in `channels` order).
 */
export interface WindowTails {
  seeds: SensorTail[];
  read?: (minSpanMs?: number) => { channels: string[]; sensors: SensorTail[] };
}

/** The file beside `stateFile` (none without a state file). Not `STATE.*`: the state file's temp clean-up would take it. */
export function windowTailsFile(stateFile: string | null): string | undefined {
  return keptFileBeside(stateFile, 'windows.json');
}

/** The part of a logger this needs. */
interface TailLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Read and remove what the last stop left, as tails in `channels` order; a file written for other channels (the
 * model changed across the restart) is skipped, and one that is not a tails file set aside, with a warning.
 */
export function takeTails(file: string, channels: readonly string[], log: TailLogger, now = new Date()): SensorTail[] {
  const text = readKept(file, 'the windows the last run left (every sensor starts its window afresh)', log);
  if (text === undefined) return [];
  let parsed: z.infer<typeof TailsFileSchema>;
  try {
    const r = TailsFileSchema.safeParse(JSON.parse(text));
    if (!r.success) throw new Error(issueSummary(r.error));
    parsed = r.data;
  } catch (err) {
    const to = setAsideKept(file, 'the windows the last run left', log, now);
    log.warn({ file, err: (err as Error).message, setAside: to }, `the windows the last run left are not a window-tails file${to ? `; set aside as ${to}` : ''}; every sensor starts its window afresh`);
    return [];
  }
  removeKept(file, 'the windows the last run left', 'the next start reads them again', log);
  const at = channels.map((c) => parsed.channels.indexOf(c));
  if (at.some((i) => i < 0)) {
    log.warn({ file, saved: parsed.channels, model: channels }, "the windows the last run left are of other channels (the model changed); every sensor starts its window afresh");
    return [];
  }
  const tails = parsed.sensors
    .filter((s) => s.ts.length === s.values.length && (!s.digests || s.digests.length === s.ts.length) && s.ts.every((t, i) => Number.isFinite(t) && (i === 0 || t > s.ts[i - 1])))
    .map((s) => (s.remembered && !orderedBefore(s.remembered, s.ts[0]) ? { ...s, remembered: undefined } : s))
    .map((s) => ({
      ...s,
      values: s.values.map((row) => at.map((i) => row[i] ?? Number.NaN)),
      ...(s.lastAt ? { lastAt: at.map((i) => s.lastAt![i] ?? null) } : {}),
    }));
  log.info({ file, sensors: tails.length, skipped: parsed.sensors.length - tails.length }, "sensors' last readings before the stop fill their windows: a sensor's first live reading is judged at once, unless the time since the stop is longer than a whole window (its window then restarts, vigil_gap_resets_total)");
  return tails;
}

/** Whether remembered readings are as a stop writes them: one digest each, timestamps increasing, before the tail's first. */
function orderedBefore(r: { ts: number[]; digests: number[] }, first: number): boolean {
  return r.ts.length === r.digests.length && r.ts.every((t, i) => Number.isFinite(t) && (i === 0 || t > r.ts[i - 1]) && t < first);
}

/** Keep the tails for the next start (none: nothing written); `quiet`: no line when it works (the periodic keep). */
export function keepTails(file: string | undefined, tails: { channels: string[]; sensors: SensorTail[] }, log: TailLogger, quiet = false): void {
  if (!file || tails.sensors.length === 0) return;
  try {
    // Values as measured, NaN (a channel never sent) as null.
    const sensors = tails.sensors.map((s) => ({ ...s, values: s.values.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))) }));
    writeFileAtomic(file, JSON.stringify({ format: 'vigil-window-tails/1', channels: tails.channels, sensors }));
    if (!quiet) log.info({ file, sensors: sensors.length }, "sensors' last readings kept: the next start fills their windows with them");
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, "sensors' last readings not kept: after the restart each sensor's window starts afresh");
  }
}

/** A tail spanning at least this much data time is kept while running too (`keepSlowTailsEvery`). */
export const SLOW_TAIL_MS = 10 * 60_000;

/**
 * Keep, every `intervalMs`, the tails of the sensors whose window spans SLOW_TAIL_MS of data time or more (`read`: the
 * window stage's, once it runs): a stop vigil could not see coming (kill -9, an out-of-memory kill, a power cut)
 * leaves no tail, and such a sensor was then unjudged for a whole window after the restart (a probe: 31 s at 1 Hz,
 * hours for 5-minute data). Faster sensors' windows refill within minutes, not worth writing every interval. The
 * clean stop's keep (of every sensor) replaces the file. Returns the stop of the timer.
 */
export function keepSlowTailsEvery(file: string | undefined, read: () => WindowTails['read'], intervalMs: number, log: TailLogger): () => void {
  if (!file || !(intervalMs > 0)) return () => {};
  let kept = false;
  const timer = setInterval(() => {
    const tails = read()?.(SLOW_TAIL_MS);
    if (!tails) return;
    if (tails.sensors.length) {
      keepTails(file, tails, log, true);
      kept = true;
    } else if (kept) {
      // None slow any more: a file kept earlier would seed a window of old rows after a crash (a review).
      kept = !removeKept(file, "sensors' last readings kept earlier", 'after an unclean stop they may seed windows with old rows', log);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

