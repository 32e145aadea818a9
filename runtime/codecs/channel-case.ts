/**
 * Payload keys and Sparkplug metrics named like a model channel but for their case (`Temperature` for
 * `temperature`): read as no channel, like any other key, so the channel goes missing (held at its last value, its
 * windows flagged incomplete, a `missing_channel` signal saying "or never sent"). A probe's devices sent it so, and
 * nothing said it was there all along under another spelling: the codecs now say so in the log, once per spelling.
 */
import type { CodecContext } from './codec.ts';

/** Spellings said at most (a flood of odd keys must not flood the log). */
const MAX_SPELLINGS = 100;

/** The once-per-spelling note of a codec. */
export class ChannelCase {
  private readonly told = new Set<string>();
  private readonly byLower: Map<string, string>;

  /**
   * @param names the names the codec reads channels under (the channels, or the metric names they are mapped to)
   * @param what what a name is in a message (`payload key`, `metric`)
   * @param channelOf the model channel read under a name (default: the name itself)
   */
  constructor(
    private readonly note: CodecContext['note'],
    names: readonly string[],
    private readonly what: string,
    private readonly channelOf: (name: string) => string = (name) => name,
  ) {
    this.byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  }

  /** Say each of `keys` of `sensor`'s message that is a read name but for case, that name being absent (`present`). */
  check(sensor: string, keys: Iterable<string>, present: (name: string) => boolean): void {
    if (!this.note || this.told.size >= MAX_SPELLINGS) return;
    for (const key of keys) {
      const name = this.byLower.get(key.toLowerCase());
      if (name === undefined || name === key || this.told.has(key) || present(name)) continue;
      this.told.add(key);
      const channel = this.channelOf(name);
      const model = name === channel ? `model channel '${channel}'` : `'${name}' (model channel '${channel}' in source.channels)`;
      this.note(
        { sensor, channel, sent: key },
        `sensor ${sensor}: ${this.what} '${key}' is not ${model} (names differ in case): it is ignored, and '${channel}' is held at its last value (windows flagged incomplete, a missing_channel signal); send it as '${name}', or map it with source.channels: { ${channel}: ${key} } (said once per spelling)`,
      );
    }
  }
}
