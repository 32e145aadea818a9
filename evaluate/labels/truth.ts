/**
 * Ground truth for labelled evaluation, from either form: per-timestamp labels (`timestamp,label`) or
 * intervals (`start,end`, as the synthetic fleet's `labels.csv` writes), turned into one 0/1 per scored row
 * plus the list of events (contiguous labelled stretches) used for detection delay.
 */
import { parseTimestamp } from '@vigil/runtime/data/timestamp.ts';
import { LABEL_COLUMNS } from '@vigil/runtime/data/csv.ts';
import { boolColumn, findColumn, SENSOR_COLUMNS, TIMESTAMP_COLUMNS, type Table } from './table.ts';

/** One labelled event as epoch-ms bounds (inclusive), with its type when the labels name one. */
export interface LabelledEvent {
  start: number;
  end: number;
  type?: string;
}

/** Labels resolved onto the scored rows. */
export interface Truth {
  /** 1 where the row is inside a labelled event. */
  label: Uint8Array;
  events: LabelledEvent[];
  /** Per-timestamp labels: scored rows the labels file has no row for (counted as normal). */
  unlabelled?: number;
  /** Intervals: columns of the labels file not read (neither start, end, type nor sensor), for a note. */
  unread?: string[];
}

/** Parse a timestamp cell, naming file, line and column on failure. */
export function timestampCell(t: Table, row: number, col: number): number {
  const v = parseTimestamp(t.rows[row][col]);
  if (Number.isNaN(v)) {
    throw new Error(`${t.file}:${t.lines[row]}: column '${t.header[col]}': '${t.rows[row][col]}' is not a timestamp; expected ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch`);
  }
  return v;
}

/** Events from a per-row 0/1 label: each maximal run of 1s. */
export function eventsFromRows(timestamps: Float64Array, label: Uint8Array): LabelledEvent[] {
  const out: LabelledEvent[] = [];
  for (let i = 0; i < label.length; i++) {
    if (!label[i] || (i > 0 && label[i - 1])) continue;
    let j = i;
    while (j + 1 < label.length && label[j + 1]) j++;
    out.push({ start: timestamps[i], end: timestamps[j] });
  }
  return out;
}

/** Resolve a labels table onto scored rows; `sensor` filters interval files that carry a sensor column. */
export function truthFromTable(t: Table, timestamps: Float64Array, sensor?: string): Truth {
  const startCol = findColumn(t, ['start', 'start_time', 'begin']);
  const endCol = findColumn(t, ['end', 'end_time', 'stop']);
  if (startCol >= 0 && endCol >= 0) {
    const sensorCol = findColumn(t, SENSOR_COLUMNS);
    const typeCol = findColumn(t, ['type', 'kind', 'anomaly_type']);
    // Without a sensor named, every sensor's events would be judged on one sensor's scores: a probe's labels of
    // four air-handling units gave the one unit scored 7 events, 4 of them missed, where it had 4.
    if (sensor === undefined && sensorCol >= 0) {
      const named = [...new Set(t.rows.map((r) => r[sensorCol]))];
      if (named.length > 1) {
        const list = named.length > 8 ? `${named.slice(0, 8).join(', ')}, ... (${named.length} in all)` : named.join(', ');
        throw new Error(`${t.file}: labels for ${named.length} sensors in column '${t.header[sensorCol]}' (${list}); pass --sensor NAME to judge the scores of one against its own labels`);
      }
    }
    const read = new Set([startCol, endCol, sensorCol, typeCol]);
    const unread = t.header.filter((_, i) => !read.has(i));
    const events: LabelledEvent[] = [];
    t.rows.forEach((r, k) => {
      if (sensor !== undefined && sensorCol >= 0 && r[sensorCol] !== sensor) return;
      const start = timestampCell(t, k, startCol);
      const end = timestampCell(t, k, endCol);
      if (end < start) throw new Error(`${t.file}:${t.lines[k]}: end ${r[endCol]} is before start ${r[startCol]}`);
      events.push({ start, end, type: typeCol >= 0 ? r[typeCol] : undefined });
    });
    if (sensor !== undefined && sensorCol >= 0 && events.length === 0) {
      const known = [...new Set(t.rows.map((r) => r[sensorCol]))];
      if (!known.includes(sensor)) throw new Error(`${t.file}: no labels for sensor '${sensor}'; sensors labelled: ${known.join(', ')}`);
    }
    events.sort((a, b) => a.start - b.start);
    const label = new Uint8Array(timestamps.length);
    for (const e of events) for (let i = 0; i < timestamps.length; i++) if (timestamps[i] >= e.start && timestamps[i] <= e.end) label[i] = 1;
    return { label, events, ...(unread.length > 0 ? { unread } : {}) };
  }
  const tsCol = findColumn(t, TIMESTAMP_COLUMNS);
  // Every name the CSV reader sets aside as ground truth (runtime/data/csv.ts LABEL_COLUMNS): a `fault` column is
  // refused by no command (a first-time user's was refused here, and only here).
  const labelCol = findColumn(t, [...LABEL_COLUMNS]);
  if (tsCol < 0 || labelCol < 0) {
    throw new Error(`${t.file}: expected intervals (columns start,end) or per-timestamp labels (a time column: ${TIMESTAMP_COLUMNS.join('/')}, and a label column: ${LABEL_COLUMNS.join('/')}); found ${t.header.join(', ')}`);
  }
  const lab = boolColumn(t, labelCol);
  const byTime = new Map<number, number>();
  t.rows.forEach((_, k) => byTime.set(timestampCell(t, k, tsCol), lab[k]));
  const label = new Uint8Array(timestamps.length);
  let unmatched = 0;
  timestamps.forEach((ts, i) => {
    const v = byTime.get(ts);
    if (v === undefined) unmatched++;
    else label[i] = v;
  });
  if (unmatched === timestamps.length) throw new Error(`${t.file}: none of its timestamps match the scored rows; labels must use the same timestamps as the scores`);
  return { label, events: eventsFromRows(timestamps, label), unlabelled: unmatched };
}
