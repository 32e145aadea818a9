/**
 * What moves with a partition: the stream sequence up to which its readings are judged (the resume point), the
 * threshold, residual and open-alert state of its sensors at that point, who saved it and how many hand-overs it
 * has seen. One KV key per partition (`p.{k}`), written at each ack boundary with compare-and-set on the
 * revision the owner last read or wrote: a worker whose lease was taken over (a zombie after a pause) fails its
 * next save and stops, so it never overwrites the new owner's state.
 */
import type { StateModelId } from '../../thresholds/state-model.ts';
import type { KV } from 'nats';
import type { AlertTrackerState } from '../../alerts/tracker.ts';
import type { ThresholdState } from '../../thresholds/threshold.ts';

/** Largest state value; the KV's message size limit (1 MB by default) is the hard bound. */
export const MAX_STATE_BYTES = 900 * 1024;

/** The saved state of one partition. */
export interface PartitionSnapshot {
  format: 'vigil-jetstream-partition';
  version: 1;
  partition: number;
  partitions: number;
  /** Readings stream sequence up to which everything is judged, published and saved (0: none). */
  seq: number;
  owner: string;
  handovers: number;
  savedAt: number;
  /** The model the state was learnt under; `weights` its onnx sha256 (runtime/thresholds/state-model.ts; absent when saved before). */
  model: StateModelId;
  thresholds: Record<string, ThresholdState>;
  /** Tracked residual state by sensor: `f64:` strings (runtime/util/float-state.ts), plain arrays when saved before. */
  residuals: Record<string, string | number[]>;
  /** With input offsets, their block clocks by sensor (runtime/scoring/input-blocks.ts); absent when saved before. */
  residualClocks?: Record<string, string>;
  alerts: Record<string, AlertTrackerState>;
  /** Sensors seen, most recent last: whose windows the next owner rebuilds (some may have no threshold yet). */
  sensors: string[];
}

/** A snapshot and the KV revision it was read or written at (0: the key does not exist). */
export interface StateAt {
  state: PartitionSnapshot | undefined;
  revision: number;
}

/** Thrown when the revision moved: another worker owns the partition now. */
export class StateFenced extends Error {}

/** Read partition k's state; a value that is not one (or of another partition count) is refused loudly. */
export async function loadPartitionState(kv: KV, k: number, partitions: number): Promise<StateAt> {
  const e = await kv.get(`p.${k}`);
  if (!e || e.operation !== 'PUT') return { state: undefined, revision: e?.revision ?? 0 };
  const s = JSON.parse(new TextDecoder().decode(e.value)) as PartitionSnapshot;
  if (s?.format !== 'vigil-jetstream-partition' || s.partition !== k) throw new Error(`state key p.${k} holds no partition state of partition ${k}`);
  if (s.partitions !== partitions) throw new Error(`state of partition ${k} was saved with ${s.partitions} partitions, this worker has ${partitions}; every worker of a group needs the same fleet.partitions`);
  return { state: s, revision: e.revision };
}

/** Save with compare-and-set; returns the new revision. Throws StateFenced when someone else wrote since. */
export async function savePartitionState(kv: KV, s: PartitionSnapshot, revision: number): Promise<number> {
  const body = new TextEncoder().encode(JSON.stringify(s));
  if (body.byteLength > MAX_STATE_BYTES) throw new Error(`state of partition ${s.partition} is ${body.byteLength} bytes (limit ${MAX_STATE_BYTES}); use more partitions`);
  try {
    return revision === 0 ? await kv.create(`p.${s.partition}`, body) : await kv.update(`p.${s.partition}`, body, revision);
  } catch (err) {
    if (/wrong last sequence|key exists/i.test((err as Error).message)) throw new StateFenced(`partition ${s.partition}: state written by another worker since revision ${revision}`);
    throw err;
  }
}
