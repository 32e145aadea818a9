/**
 * The state file's format: two lines, a JSON header (format, version, sha256 and length of line two, model, the save's
 * id) and the JSON payload of per-sensor states. Written here in one piece (`encodeStates`) or a sensor chunk per turn
 * of the event loop (`encodeStatesYielding`, `payloadPieces`), and read back and verified (`decodeStates`,
 * `claimedSave`); where the file is kept, and what a load or a save does around it, is store.ts.
 */
import { createHash } from 'node:crypto';
import type { ThresholdState } from './threshold.ts';
import type { SmootherState } from '../scoring/smoothing.ts';
import type { AlertTrackerState } from '../alerts/tracker.ts';
import type { SilenceState } from '../alerts/silent-sensors.ts';
import { saveIdOf, type FullSaveId } from './full-save-id.ts';
import type { StateModelId } from './state-model.ts';

/** File format tag and version; other versions are reported, not guessed at. */
export const STATE_FILE_FORMAT = 'vigil-threshold-state';
/** Current state file version. */
export const STATE_FILE_VERSION = 1;

/** What is saved per sensor. */
export interface SensorState {
  threshold: ThresholdState;
  smoothing?: SmootherState;
  /**
   * Tracked residual state of Mahalanobis scoring (runtime/scoring/residual-baselines.ts): an `f64:` string
   * (runtime/util/float-state.ts), or a plain array in files written before it.
   */
  residualMean?: string | number[];
  /** With input offsets, its block clock (runtime/scoring/input-blocks.ts) as an `f64:` string. */
  residualClock?: string;
  /** The sensor's alert tracker, so an alert open at a stop or a kill is resumed, not opened again. */
  alert?: AlertTrackerState;
  /** Its silence watch (runtime/alerts/silent-sensors.ts): a sensor silent at a stop is still silent, and said back, after it. */
  silence?: SilenceState;
}

/** A state file as read: its sensors' states and what its header says of the save that wrote it. */
export interface DecodedStates {
  states: Map<string, SensorState>;
  savedAt?: string;
  model?: StateModelId;
  /** The checksum of the file's payload (the journal of alert states written after it names it: alert-journal.ts). */
  sha256?: string;
  /** The id of the full save that wrote the file (full-save-id.ts; absent in files written before ids). */
  saveId?: string;
}

/**
 * Serialise states to the two-line file format; `saveId` names the save in its header (full-save-id.ts), as
 * `saveStates` does for the saves a journal follows.
 */
export function encodeStates(states: Map<string, SensorState> | Record<string, SensorState>, model?: StateModelId, now = new Date(), saveId?: string): string {
  const entries = states instanceof Map ? Object.fromEntries(states) : states;
  const payload = JSON.stringify(entries);
  return withHeader(payload, Object.values(entries).filter((v) => v !== undefined).length, Buffer.byteLength(payload), createHash('sha256').update(payload).digest('hex'), model, now, saveId);
}

/** The file's text: its header line (these counts and checksum, `model`, `now`, `saveId`), then `payload`. */
export function withHeader(payload: string, sensors: number, bytes: number, sha256: string, model: StateModelId | undefined, now: Date, saveId: string | undefined): string {
  const header = { format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, savedAt: now.toISOString(), model, sensors, bytes, sha256, ...(saveId ? { saveId } : {}) };
  return `${JSON.stringify(header)}\n${payload}\n`;
}

/**
 * What a save writes, collected a sensor at a time: the sensors in the order written, and each one's state when its
 * turn comes. A save of thousands of sensors collected in one piece held the event loop for tens of milliseconds
 * (with the garbage collection after it, the largest stalls of a 1,000-sensor gateway at 10k readings/s, so the p99
 * of every reading arriving meanwhile); collected and written `ENCODE_CHUNK` sensors per turn it never does. Each
 * sensor's state is consistent on its own, which is all a restore needs: sensors are restored one by one.
 */
export interface StateSource {
  readonly sensors: readonly string[];
  /** A sensor's state now (undefined: gone since the list was taken, left out). */
  state(sensor: string): SensorState | undefined;
}

/** Every sensor's state at once, or a source to collect them from. */
export type SavedStates = Map<string, SensorState> | Record<string, SensorState> | StateSource;

const isSource = (s: SavedStates): s is StateSource => !(s instanceof Map) && typeof (s as StateSource).state === 'function' && Array.isArray((s as StateSource).sensors);

/** A source over `states` (states collected already are their own source). */
export function stateSource(states: SavedStates): StateSource {
  if (isSource(states)) return states;
  const m = states instanceof Map ? states : new Map(Object.entries(states));
  return { sensors: [...m.keys()], state: (sensor) => m.get(sensor) };
}

/** Sensors collected and serialised per turn of the event loop by `encodeStatesYielding`. */
export const ENCODE_CHUNK = 100;

/**
 * `encodeStates`, the same text, collected and written `chunk` sensors per turn of the event loop (see `StateSource`),
 * so every reading arriving meanwhile waits for at most one chunk.
 */
export async function encodeStatesYielding(states: SavedStates, model?: StateModelId, now = new Date(), chunk = ENCODE_CHUNK, saveId?: string): Promise<string> {
  const counted = { sensors: 0 };
  let payload = '';
  for await (const piece of payloadPieces(states, chunk, counted)) payload += piece;
  return withHeader(payload, counted.sensors, Buffer.byteLength(payload), createHash('sha256').update(payload).digest('hex'), model, now, saveId);
}

/** Characters of payload handed on at a time by `payloadPieces`. */
const WRITE_PIECE = 32_768;

/**
 * The payload of `states` (encodeStates' second line) in pieces of about WRITE_PIECE characters, well under V8's
 * large-object size (which would go straight to the old generation), its sensors collected `chunk` per turn of the event
 * loop; `counted.sensors` says how many were written (a sensor gone meanwhile is left out).
 */
export async function* payloadPieces(states: SavedStates, chunk: number, counted: { sensors: number }): AsyncGenerator<string> {
  const source = stateSource(states);
  // The key order JSON.stringify gives an object of these names (integer-like names first), as encodeStates writes.
  const keys = Object.keys(Object.fromEntries(source.sensors.map((k) => [k, 0])));
  let piece = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && i % chunk === 0) await new Promise((r) => setImmediate(r));
    const value = JSON.stringify(source.state(keys[i]));
    if (value === undefined) continue;
    piece += `${counted.sensors > 0 ? ',' : ''}${JSON.stringify(keys[i])}:${value}`;
    counted.sensors++;
    if (piece.length >= WRITE_PIECE) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}}`;
}

/** Parse and verify the file format; throws a message saying what is wrong. */
export function decodeStates(text: string): DecodedStates {
  const nl = text.indexOf('\n');
  if (nl < 0) throw new Error('no header line (file truncated?)');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text.slice(0, nl));
  } catch {
    throw new Error('header is not JSON');
  }
  if (header.format !== STATE_FILE_FORMAT) throw new Error(`format ${JSON.stringify(header.format)}; expected ${STATE_FILE_FORMAT}`);
  if (header.version !== STATE_FILE_VERSION) throw new Error(`version ${JSON.stringify(header.version)}; expected ${STATE_FILE_VERSION}`);
  const body = text.slice(nl + 1).replace(/\n$/, '');
  if (Buffer.byteLength(body) !== header.bytes) throw new Error(`payload has ${Buffer.byteLength(body)} bytes; header says ${String(header.bytes)} (partial write?)`);
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== header.sha256) throw new Error('payload checksum does not match the header (corrupted)');
  const entries = JSON.parse(body) as Record<string, SensorState>;
  if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new Error('payload is not an object of sensor states');
  const saveId = saveIdOf(header.saveId);
  return { states: new Map(Object.entries(entries)), savedAt: String(header.savedAt), model: header.model as StateModelId | undefined, sha256: sha, ...(saveId ? { saveId } : {}) };
}

/** The full save an unusable file's header names, when that line still reads as this format's. */
export function claimedSave(text: string): FullSaveId | undefined {
  try {
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    if (header.format !== STATE_FILE_FORMAT || typeof header.sha256 !== 'string') return undefined;
    const saveId = saveIdOf(header.saveId);
    return { sha256: header.sha256, ...(saveId ? { saveId } : {}) };
  } catch {
    return undefined;
  }
}
