/**
 * A JSON payload whose time is under another name than `source.timestamp.field` (`timestamp`, `time`, Tasmota's
 * `Time`): with `source: auto` its readings are stamped on arrival, which for a buffered hour put its readings a few ms
 * apart and its alerts an hour off the data's own time (a probe), with no word that the payload carried a time. Said
 * in the log, once per field name, naming the setting that reads it.
 */
import type { CodecContext } from './codec.ts';
import { readingTime } from './values.ts';

/** Key names that may hold a reading's time. */
export const TIME_NAME = /time|date|stamp|^ts$|^t$/i;
/** Field names said at most. */
const MAX_NAMES = 20;

/** The once-per-name note of the json codec. */
export class TimeFieldNote {
  private readonly told = new Set<string>();

  constructor(private readonly ctx: Pick<CodecContext, 'note' | 'timestamp' | 'channels'>) {}

  /** `rec` of `sensor`, received at `receivedAt`, was stamped on arrival for want of the configured field: say a key that reads as a time. */
  check(sensor: string, rec: Record<string, unknown>, receivedAt: number): void {
    const { note, timestamp } = this.ctx;
    if (!note || timestamp.source !== 'auto' || this.told.size >= MAX_NAMES) return;
    for (const key in rec) {
      if (!Object.hasOwn(rec, key) || !TIME_NAME.test(key) || this.told.has(key) || this.ctx.channels.includes(key)) continue;
      const ts = readingTime(rec[key], receivedAt, { ...timestamp, source: 'payload', field: key });
      if (typeof ts !== 'number') continue;
      this.told.add(key);
      note(
        { sensor, field: key },
        `sensor ${sensor}: payload has no '${timestamp.field}' (source.timestamp.field) but its '${key}' reads as a time (${new Date(ts).toISOString()}): readings are stamped on arrival; set source.timestamp.field: ${key} to read it, or source.timestamp.source: arrival to say nothing (said once per field name)`,
      );
      return;
    }
  }
}
