/**
 * Per-sensor threshold (and smoothing) state in one file, written atomically: temp file, fsync, rename,
 * fsync of the directory, so a crash leaves either the previous file or the new one. The file is two lines:
 * a JSON header (format, version, sha256 and length of line two, model) and the JSON payload (state-format.ts). A torn,
 * edited or foreign file is detected and reported, set aside as `<file>.corrupt-<time>`, and never crashes the caller.
 */
import { createHash } from 'node:crypto';
import type { Threshold } from './threshold.ts';
import type { CardLike } from './seed.ts';
import { createThreshold, parseThresholdConfig, restoreThreshold, savedConfigProblem } from './factory.ts';
import { removeStaleTemps, writeAllAt, writeAtomicAsync, writeFileAtomic } from '../util/atomic-write.ts';
import { readOrWhy } from '../util/kept-file.ts';
import { alertJournalPath, readAlertJournal, setAsideAlertJournal } from './alert-journal.ts';
import { fullSaveOf, newSaveId, type FullSaveId } from './full-save-id.ts';
import { KEEP_SET_ASIDE, setAside } from '../util/set-aside.ts';
import { modelMismatch, type StateModelId } from './state-model.ts';
import { claimedSave, decodeStates, ENCODE_CHUNK, encodeStates, payloadPieces, withHeader, type DecodedStates, type SavedStates, type SensorState } from './state-format.ts';

export { removeStaleTemps, type StateModelId };
// The file format, where the modules and tests that load and save states have always found it.
export { decodeStates, ENCODE_CHUNK, encodeStates, encodeStatesYielding, STATE_FILE_FORMAT, STATE_FILE_VERSION, stateSource, type DecodedStates, type SavedStates, type SensorState, type StateSource } from './state-format.ts';

/**
 * A sensor's state as loaded: under another model (`modelMismatch`) only its open alert and silence watch, so a
 * consumer that saw an alert open sees it close (a review: a retrained model left every open alert unclosed).
 */
export type LoadedState = Omit<SensorState, 'threshold'> & { threshold?: SensorState['threshold'] };

/** Outcome of loading: the states (empty when absent or unreadable) and, if something was wrong, why. */
export interface LoadResult extends Omit<DecodedStates, 'states'> {
  states: Map<string, LoadedState>;
  /** Sensors whose alert states came from the journal written after the file. */
  journaled?: number;
  /**
   * Set when that journal existed but could not be used, or only in part (the file's own alert states are used for
   * the rest); where it could not be tied to a usable file, where it was set aside is said in it.
   */
  journalProblem?: string;
  /** Set when the file existed but could not be used. */
  problem?: string;
  /** Where an unusable file was moved to. */
  setAside?: string;
}

/**
 * Load states; a missing file is an empty start, an unusable one is reported and set aside. Never throws.
 * Call it before the first save: it also removes temp files a crashed writer left behind.
 *
 * The journal of alert states beside it (alert-journal.ts) is applied over the full save it follows. Its lines hold
 * whole alert and silence states, so over an unusable file whose header still names that save (a payload spoilt, cut
 * short) they apply onto the empty start: open alerts, maintenance and silences resume, thresholds start fresh. A
 * journal that cannot be tied to a usable file (the file unreadable, its header too, another save's, or no file) is set
 * aside and said, not left for the first full save to remove unseen.
 */
export function loadStates(path: string, expectModel?: StateModelId): LoadResult {
  const { claimed, unread, ...res } = loadFull(path, expectModel);
  const loadedSave = fullSaveOf(res);
  const usable = loadedSave !== undefined;
  const journalFile = alertJournalPath(path);
  // Alert states written since that file (alert-journal.ts): each replaces its sensor's alert and silence watch.
  const journal = readAlertJournal(journalFile, loadedSave ?? claimed);
  if (journal.problem) res.journalProblem = journal.problem;
  if (!usable && journal.follows) {
    const why = unread ? 'the state file could not be read, so which full save it follows cannot be told' : !res.problem ? 'the state file it follows is not there' : claimed ? 'it follows another full save than the unusable state file (an older one)' : "the unusable state file's header does not say which full save it was";
    res.journalProblem = setAsideAlertJournal(journalFile, why);
  }
  for (const [sensor, { alert, silence }] of journal.states) {
    const { alert: _alert, silence: _silence, ...rest } = res.states.get(sensor) ?? {};
    const st: LoadedState = { ...rest, ...(alert ? { alert } : {}), ...(silence ? { silence } : {}) };
    if (Object.keys(st).length) res.states.set(sensor, st);
    else res.states.delete(sensor);
  }
  if (journal.states.size) res.journaled = journal.states.size;
  if (journal.states.size && !usable) res.problem += `; the alert and silence states of ${journal.states.size} sensor(s) journaled after it are restored`;
  return res;
}

function loadFull(path: string, expectModel?: StateModelId): LoadResult & { claimed?: FullSaveId; unread?: boolean } {
  const { text, error } = readOrWhy(path);
  if (error !== undefined) return { states: new Map(), problem: `${path}: cannot read: ${error}`, unread: true };
  if (text === undefined) return { states: new Map() };
  try {
    const res = decodeStates(text);
    const mismatch = expectModel && res.model && modelMismatch(res.model, expectModel);
    if (mismatch) {
      const kept = new Map<string, LoadedState>();
      for (const [sensor, st] of res.states) if (st.alert || st.silence) kept.set(sensor, { ...(st.alert ? { alert: st.alert } : {}), ...(st.silence ? { silence: st.silence } : {}) });
      const also = kept.size ? `; open alerts and silence watches of ${kept.size} sensor(s) kept` : '';
      return { states: kept, savedAt: res.savedAt, model: res.model, sha256: res.sha256, ...(res.saveId ? { saveId: res.saveId } : {}), problem: `${path}: ${mismatch}: thresholds and learnt levels start fresh${also}` };
    }
    return res;
  } catch (err) {
    // Left where it is when it cannot be moved: the next save replaces it atomically anyway.
    const moved = setAside(path);
    const pruned = moved.removed ? `; ${moved.removed} older set-aside cop${moved.removed === 1 ? 'y' : 'ies'} removed (the newest ${KEEP_SET_ASIDE} are kept)` : '';
    const claimed = claimedSave(text);
    return { states: new Map(), problem: `${path}: unusable threshold state, starting fresh: ${(err as Error).message}${pruned}`, setAside: moved.to, ...(claimed ? { claimed } : {}) };
  }
}

/**
 * Room kept for the header line of a streamed save (bytes, newline included), at least: the header is written last, over
 * it, padded with spaces (JSON.parse allows them), so the payload never has to be held whole. A model name or version
 * too long for it gets the room its header needs.
 */
export const HEADER_ROOM = 1024;

/**
 * Write states atomically (temp + fsync + rename + folder fsync); returns the sensors written, the payload's
 * checksum and the save's id (what a journal written after it names: full-save-id.ts). The payload is written as it is collected (`payloadPieces`) and hashed as it goes: held whole (its pieces,
 * their join and the Buffer written), a 1.5 MB save at 1,000 sensors made V8 raise its old-generation limit, and the
 * next full collection came 100 s later, with RSS up from 147 to 220 MB meanwhile (bench/soak.ts --duration 200; 138 MB
 * flat with no periodic save).
 */
export async function saveStates(path: string, states: SavedStates, model?: StateModelId): Promise<{ sensors: number } & Required<FullSaveId>> {
  const now = new Date();
  const saveId = newSaveId();
  const counted = { sensors: 0 };
  let sha256 = '';
  // The header at its widest (counts of 16 digits), so that only the model's name and version size its room.
  const widest = withHeader('', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '0'.repeat(64), model, now, saveId).split('\n')[0];
  const room = Math.max(HEADER_ROOM, Buffer.byteLength(widest) + 1);
  await writeAtomicAsync(path, async (fh) => {
    const hash = createHash('sha256');
    let at = room;
    for await (const piece of payloadPieces(states, ENCODE_CHUNK, counted)) {
      const b = Buffer.from(piece, 'utf8');
      hash.update(b);
      await writeAllAt(fh, b, at);
      at += b.length;
    }
    sha256 = hash.digest('hex');
    const header = withHeader('', counted.sensors, at - room, sha256, model, now, saveId).split('\n')[0];
    const bytes = Buffer.byteLength(header);
    if (bytes > room - 1) throw new Error(`state header of ${bytes} bytes does not fit the ${room - 1} kept for it`);
    // Padded to the room in bytes, not characters: a model name with a character of several bytes would otherwise push
    // the newline over the payload's first byte.
    await writeAllAt(fh, Buffer.from(`${header}${' '.repeat(room - 1 - bytes)}\n`), 0);
    await writeAllAt(fh, Buffer.from('\n'), at);
  });
  return { sensors: counted.sensors, sha256, saveId };
}

/** Synchronous atomic write, for the last save on shutdown. */
export function saveStatesSync(path: string, states: Map<string, SensorState> | Record<string, SensorState>, model?: StateModelId): void {
  writeFileAtomic(path, encodeStates(states, model));
}

/**
 * Rebuild one threshold per saved sensor under the current config: a saved state whose kind or config
 * differs from `config`, or that does not restore, is reported and that sensor starts fresh.
 */
export function reviveThresholds(states: Map<string, LoadedState>, config: unknown, card?: CardLike): { thresholds: Map<string, Threshold>; problems: string[] } {
  const want = JSON.stringify(parseThresholdConfig(config));
  const thresholds = new Map<string, Threshold>();
  const problems: string[] = [];
  for (const [sensor, s] of states) {
    if (!s.threshold) continue;
    try {
      const problem = savedConfigProblem(s.threshold, want);
      if (problem) {
        problems.push(`${sensor}: ${problem}; starting fresh`);
        thresholds.set(sensor, createThreshold(config, card));
        continue;
      }
      thresholds.set(sensor, restoreThreshold(s.threshold, card, `saved threshold of ${sensor}`));
    } catch (err) {
      problems.push(`${sensor}: ${(err as Error).message}; starting fresh`);
      thresholds.set(sensor, createThreshold(config, card));
    }
  }
  return { thresholds, problems };
}