/**
 * Payload keys holding a number that no model channel is read under, in a payload without one of the channels: a
 * probe's air-handling unit sent its supply air temperature as `sat` to a model trained on `supply_air_c`; vigil read
 * the other channels, held `supply_air_c` and a minute later signalled it `missing ... or never sent`, with no word
 * that a number under another name had come with every reading. Said in the log once per key, naming the channels
 * missing and the mapping that would read it (names that differ only in case are channel-case.ts's).
 */
import type { CodecContext } from './codec.ts';
import { TIME_NAME } from './time-field-note.ts';

/** Keys said at most (a flood of odd keys must not flood the log). */
const MAX_KEYS = 20;
/** Characters of a key shown at most: a 50,000-character key was logged whole, twice a note, up to MAX_KEYS times. */
const MAX_SHOWN = 64;

/** The key as the note shows it: whole when short, else its start and its length. */
function shown(key: string): string {
  return key.length <= MAX_SHOWN ? key : `${key.slice(0, MAX_SHOWN)}... (${key.length} characters)`;
}

/** The once-per-key note of the json codec. */
export class UnreadKeys {
  private readonly told = new Set<string>();
  private readonly read: Set<string>;

  /**
   * @param names every name a payload key is read under (the channels, the timestamp field), case-insensitive
   * @param byName the channels read under their own name (not mapped to a path): those a payload can lack
   */
  constructor(
    private readonly note: CodecContext['note'],
    names: readonly string[],
    private readonly byName: readonly string[],
  ) {
    this.read = new Set(names.map((n) => n.toLowerCase()));
  }

  /**
   * Say each key of `sensor`'s payload `source` that holds a number and is read as nothing, while a channel of
   * `byName` is absent from it. Which are absent is worked out only when there is a note to give, so a payload that
   * always lacks a channel costs nothing more once MAX_KEYS were said (or with no note).
   */
  check(sensor: string, source: Record<string, unknown>): void {
    if (!this.note || this.told.size >= MAX_KEYS) return;
    const missing = this.byName.filter((ch) => !Object.hasOwn(source, ch));
    if (missing.length === 0) return;
    for (const key of Object.keys(source)) {
      // A key named like a time holds the reading's time, not a channel (time-field-note.ts says that one).
      if (typeof source[key] !== 'number' || this.read.has(key.toLowerCase()) || TIME_NAME.test(key) || this.told.has(key)) continue;
      this.told.add(key);
      const sent = shown(key);
      const which = missing.length === 1 ? `channel '${missing[0]}' is` : `channels ${missing.map((m) => `'${m}'`).join(', ')} are`;
      this.note(
        { sensor, sent, missing },
        `sensor ${sensor}: payload key '${sent}' holds a number but is no model channel, so it is ignored, while ${which} missing from the payload (held at the last value, windows flagged incomplete, a missing_channel signal): if '${sent}' is ${missing.length === 1 ? 'it' : 'one of them'}, map it with source.channels: { ${missing[0]}: ${sent} } (said once per key)`,
      );
      if (this.told.size >= MAX_KEYS) return;
    }
  }
}
