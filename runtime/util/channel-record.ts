/**
 * A reading's values object made in one step, and read back in one. Adding the channels one by one to `{}`
 * (`values[name] = v`) costs a property addition per channel through a store that sees every name (V8's megamorphic
 * keyed store, a map transition each, and past the fourth a property array grown on the side): about 280 ns and two
 * allocations per reading of 8 channels here, against about 50 ns and one for an object literal of the same names (a
 * scratch benchmark, 2 million objects). The literal is written once per codec from the card's channels; the object it
 * makes is the one the loop made: the same own, enumerable, writable properties, in channel order, with the same
 * values (test/util/channel-record.test.ts). The names that read otherwise in a literal do not differ for numbers: a
 * repeated name keeps its first place and last value either way, and `__proto__` given a number is ignored by the
 * literal as by the assignment.
 */

/** Builds `{ [channels[0]]: values[0], ... }`: one object per call, its properties in channel order. */
export type ChannelRecord = (values: ArrayLike<number>) => Record<string, number>;

/** The builder for `channels`. */
export function channelRecord(channels: readonly string[]): ChannelRecord {
  // Each name as a JSON string literal (quotes, backslashes and controls escaped): a key, never code.
  const body = `return {${channels.map((n, c) => `${JSON.stringify(n)}: values[${c}]`).join(', ')}};`;
  const make = compiled<ChannelRecord>(['values'], body, (values) => {
    const record: Record<string, number> = {};
    for (let c = 0; c < channels.length; c++) record[channels[c]] = values[c];
    return record;
  });
  // One object of non-numbers first, so that V8 keeps the literal's fields as plain references to numbers: left to
  // numbers alone it keeps each as a double in a box of its own, which every read by name (the range check, the
  // digest, the row fill) copies into a new number: 120-130 bytes a reading at each of them (bench/allocation.ts).
  make(channels.map(() => undefined) as unknown as number[]);
  return make;
}

/** Reads `values[channels[c]]` into `out[c]` for every channel, and returns `out`. */
export type ChannelReader = (values: Readonly<Record<string, unknown>>, out: unknown[]) => unknown[];

/**
 * The reader for `channels`: each channel's value read by its own name, in channel order. A loop of
 * `values[names[c]]` reads through one load that sees every name (V8's megamorphic keyed load, 20-60 ns each here);
 * a load per name written out knows the objects it meets (the codecs' records share one shape) and takes a
 * nanosecond or two. The same values: a name's own property, or what the prototype chain gives, or undefined.
 */
export function channelReader(channels: readonly string[]): ChannelReader {
  // As in channelRecord: each name a JSON string literal, a key, never code.
  const body = `${channels.map((n, c) => `out[${c}] = values[${JSON.stringify(n)}];`).join(' ')} return out;`;
  return compiled<ChannelReader>(['values', 'out'], body, (values, out) => {
    for (let c = 0; c < channels.length; c++) out[c] = values[channels[c]];
    return out;
  });
}

/**
 * `new Function(...params, body)`, or `loop` (the same function written as a loop) where code cannot be made at run
 * time: the dashboard's page runs under a Content-Security-Policy without 'unsafe-eval' (dashboard/server.ts), where
 * `new Function` throws an EvalError.
 */
function compiled<F>(params: string[], body: string, loop: F): F {
  try {
    return new Function(...params, body) as F;
  } catch {
    return loop;
  }
}
