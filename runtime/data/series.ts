/** A multichannel time series held row-major: `data[row * channels.length + c]`. */
export interface Series {
  /** Epoch milliseconds per row. */
  timestamps: Float64Array;
  /** Channel names, in column order. */
  channels: string[];
  /** Row-major values, length rows x channels. */
  data: Float32Array;
  /** Raw timestamp text per row, as read (used to echo the input in outputs). */
  rawTimestamps?: string[];
  /** Extra non-channel columns kept aside by name (e.g. a `label` column). */
  extra?: Record<string, string[]>;
  /** 1 for a row where the reader filled a cell (`--fill`); absent when none was. */
  filledRows?: Uint8Array;
  /** The channels whose cells the reader filled, per row (none: undefined); absent when none was (`vigil score`'s `filled`). */
  filledChannels?: (string[] | undefined)[];
}

/** Number of rows in a series. */
export function rowCount(s: Series): number {
  return s.timestamps.length;
}

/** Return a new series with rows [start, end). */
export function sliceRows(s: Series, start: number, end: number): Series {
  const c = s.channels.length;
  return {
    timestamps: s.timestamps.slice(start, end),
    channels: s.channels,
    data: s.data.slice(start * c, end * c),
    rawTimestamps: s.rawTimestamps?.slice(start, end),
    extra: s.extra && Object.fromEntries(Object.entries(s.extra).map(([k, v]) => [k, v.slice(start, end)])),
  };
}

/** Reorder/select channels by name; throws naming what is missing. */
export function selectChannels(s: Series, names: string[]): Series {
  const idx = names.map((n) => s.channels.indexOf(n));
  const missing = names.filter((_, i) => idx[i] < 0);
  if (missing.length) {
    throw new Error(`data has no channel(s) ${missing.join(', ')}; expected ${names.join(', ')}, found ${s.channels.join(', ')}`);
  }
  if (idx.every((v, i) => v === i) && names.length === s.channels.length) return s;
  const rows = rowCount(s);
  const src = s.channels.length;
  const out = new Float32Array(rows * names.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < idx.length; j++) out[r * names.length + j] = s.data[r * src + idx[j]];
  return { ...s, channels: names, data: out };
}

/**
 * Keep the first row of each timestamp, as the streaming window stage does (later rows of a timestamp it has
 * seen are dropped as duplicates). Returns the series and how many rows went.
 */
export function dropRepeatedTimestamps(s: Series): { series: Series; dropped: number } {
  const seen = new Set<number>();
  const keep: number[] = [];
  for (let r = 0; r < s.timestamps.length; r++) {
    if (seen.has(s.timestamps[r])) continue;
    seen.add(s.timestamps[r]);
    keep.push(r);
  }
  const dropped = s.timestamps.length - keep.length;
  if (dropped === 0) return { series: s, dropped };
  const C = s.channels.length;
  const data = new Float32Array(keep.length * C);
  keep.forEach((from, to) => data.set(s.data.subarray(from * C, (from + 1) * C), to * C));
  return {
    series: {
      timestamps: Float64Array.from(keep, (r) => s.timestamps[r]),
      channels: s.channels,
      data,
      rawTimestamps: s.rawTimestamps && keep.map((r) => s.rawTimestamps![r]),
      extra: s.extra && Object.fromEntries(Object.entries(s.extra).map(([k, v]) => [k, keep.map((r) => v[r])])),
    },
    dropped,
  };
}
