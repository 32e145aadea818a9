/**
 * The window stage's side of the restart tails (window-tails.ts keeps their file): a sensor's state turned into its
 * tail at a stop, and a tail replayed into the stage at the next start. Kept apart from the file code, which needs
 * node:fs, because the window stage is also bundled for the browser (the dashboard's in-browser scoring).
 */
import type { SensorPools } from './sensor-pools.ts';
import type { SensorState } from './sensor-state.ts';
import { COUNTED_GAPS_KEPT } from './data-gaps.ts';
import type { Reading } from './types.ts';
import type { SensorTail } from './window-tails.ts';

/**
 * Replay `seeds` into the window stage: each tail's readings go to `feed` as warm readings with the digest each was
 * accepted with; then its sensor gets back what the rows cannot say (flags, each channel's last carried time).
 */
export function replayTails(seeds: SensorTail[], channels: readonly string[], sensors: SensorPools, feed: (r: Reading, digest: number | null | undefined) => void): void {
  const now = Date.now();
  for (const t of seeds) {
    const receivedAt = t.lastSeen ?? now;
    if (t.remembered?.ts.length) {
      // Remembered first, older than the rows: the memory stays in timestamp order.
      const s = sensors.take(t.sensor, undefined);
      if (s) {
        s.lastSeen = receivedAt;
        t.remembered.ts.forEach((ts, i) => s.recent.add(ts, t.remembered!.digests[i], receivedAt));
      }
    }
    for (let i = 0; i < t.ts.length; i++) {
      const values: Record<string, number> = {};
      t.values[i].forEach((v, c) => Number.isFinite(v) && (values[channels[c]] = v));
      feed({ sensor: t.sensor, ts: t.ts[i], values, receivedAt }, t.digests?.[i]);
    }
    restoreFlags(sensors, t);
  }
}

/**
 * Every sensor's tail now (raw values in `channels` order); with `minSpanMs`, only those spanning that much data time,
 * the others not built at all (the periodic keep of slow sensors' tails, at 1,000 sensors: a review measured 49 ms a
 * tick building every tail to keep none).
 */
export function readTails(sensors: SensorPools, channels: readonly string[], minSpanMs = 0): { channels: string[]; sensors: SensorTail[] } {
  const spans = (s: SensorState) => {
    const k = Math.min(s.rowsSinceReset, s.window - 1, s.rows.held);
    return k > 1 && s.times[(s.rowsSinceReset - 1) % s.window] - s.times[(s.rowsSinceReset - k) % s.window] >= minSpanMs;
  };
  const tails = sensors.map((sensor, s) => (minSpanMs > 0 && !spans(s) ? undefined : tailOf(sensor, s, channels.length)));
  return { channels: [...channels], sensors: tails.filter((t): t is SensorTail => t !== undefined) };
}

/** After a tail was replayed: its flags, each channel's last carried time and its gaps counted missing, as they were at the stop. */
function restoreFlags(sensors: SensorPools, t: SensorTail): void {
  const s = sensors.peek(t.sensor);
  if (!s?.warmOnly) return;
  // Row i of the tail is row seq - n + i now.
  const n = t.ts.length;
  if (t.staleUpTo !== undefined && t.staleUpTo >= 0) s.staleSeq = s.seq - n + t.staleUpTo;
  if (t.filledUpTo !== undefined && t.filledUpTo >= 0) s.filledSeq = s.seq - n + t.filledUpTo;
  t.lastAt?.forEach((at, c) => (s.lastAt[c] = at ?? Number.NEGATIVE_INFINITY));
  // Counted by the run before: a reading of theirs that comes now (a block-mate of what the stop let go) is not counted again.
  if (t.countedGaps?.length) s.countedGaps = t.countedGaps.slice(-COUNTED_GAPS_KEPT).map((g) => ({ ...g }));
}

/** A sensor's last W - 1 readings since its window last restarted, as measured (its rows unscaled), or undefined with none. */
function tailOf(sensor: string, s: SensorState, C: number): SensorTail | undefined {
  const k = Math.min(s.rowsSinceReset, s.window - 1, s.rows.held);
  if (k <= 0) return undefined;
  const { scale, offset } = s.rows.scaler;
  const row = new Float32Array(C);
  const ts: number[] = [];
  const values: number[][] = [];
  const digests: (number | null)[] = [];
  for (let i = s.rowsSinceReset - k; i < s.rowsSinceReset; i++) {
    s.rows.copyRow(s.seq - s.rowsSinceReset + i, row);
    const t = s.times[i % s.window];
    ts.push(t);
    values.push(Array.from(row, (v, c) => v * scale[c] + offset[c]));
    digests.push(s.recent.digestAt(t) ?? null);
  }
  // Row seq - k + i is tail row i.
  const first = s.seq - k;
  const upTo = (seq: number) => (seq >= first ? seq - first : -1);
  // Gaps with readings still to come (the copies of those that came are not kept over a restart).
  const open = s.countedGaps?.filter((g) => g.left > 0).map(({ fromTs, toTs, left }) => ({ fromTs, toTs, left }));
  const gaps = open?.length ? { countedGaps: open } : {};
  // What the sensor remembers of the readings before the rows: their copies after the restart are duplicates.
  const before = s.recent.before(ts[0]);
  const remembered = before.ts.length ? { remembered: before } : {};
  return { sensor, ts, values, digests, lastSeen: s.lastSeen, staleUpTo: upTo(s.staleSeq), filledUpTo: upTo(s.filledSeq), lastAt: Array.from(s.lastAt, (v) => (Number.isFinite(v) ? v : null)), ...gaps, ...remembered };
}
