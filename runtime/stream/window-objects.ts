/**
 * The window objects the window stage emits: a view into its sensor's rows (the pipeline's: materialised only when
 * its batch is assembled) or its own copy, each with the shape it keeps down to the alert stage.
 */
import type { ModelCard } from '../model/card.ts';
import type { RowLog } from '../window/row-log.ts';
import type { SensorState } from './sensor-state.ts';
import type { Reading, SensorWindow, Verdict } from './types.ts';

/** The window ending at row `seq` as its own copy (it leaves the operator and is completed in place downstream). */
export function ownedWindow(r: Reading, s: SensorState, seq: number, ts: number, incomplete: boolean, filled: boolean, scaler: ModelCard['scaler']): SensorWindow {
  const data = new Float32Array(s.rows.width);
  s.rows.copyWindow(seq, data, 0);
  const win: SensorWindow = { sensor: r.sensor, tsFirst: s.tsFirst, tsLast: ts, data, seq, receivedAt: r.receivedAt, scaler };
  if (incomplete) win.incomplete = true;
  if (filled) win.filled = true;
  return win;
}

const NO_VALUES = new Float32Array(0);

/**
 * A window that is a view into its sensor's rows, with every field its Verdict will have, so the object keeps one
 * shape from here to the alert stage (inferBatches fills `data`, the scores and the provider in place).
 */
export function viewWindow(sensor: string, tsFirst: number, tsLast: number, seq: number, receivedAt: number, incomplete: boolean, filled: boolean, scaler: ModelCard['scaler'], rows: RowLog): Verdict {
  return {
    sensor, tsFirst, tsLast, data: NO_VALUES, seq, receivedAt, incomplete, filled, scaler, rows,
    score: Number.NaN,
    perChannel: NO_VALUES,
    provider: '',
    threshold: Number.NaN,
    anomaly: false,
    rawScore: undefined,
    ownScore: undefined,
    cause: undefined,
    outside: undefined,
    marked: undefined,
  };
}

