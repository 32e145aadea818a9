/**
 * The alert states written between two full saves of the state file (store.ts), in a small file beside it:
 * `STATE-alert-states.json`. An alert opening or closing must be on disk within about a second (so a kill does not
 * open it again, or leave it open for good), but the full file holds every sensor's thresholds and tracked levels
 * (~1.5 KB per sensor): rewriting it for every storm of alerts wrote 1.5 MB a second at 1,000 sensors, on a gateway's
 * flash, and its garbage (promoted to the old generation while the write was under way) was most of an alert storm's
 * RSS (bench/soak.ts: a heap profile of what outlived the young generation put 60 % of it in the state save).
 *
 * So an alert event notes its sensor, and the alert-driven save appends one line (and fsyncs it) with the alert and
 * silence states of the sensors noted since the last line: a line's checksum, a space, the JSON of the states. The
 * file's first line names the full save it follows (`base`: that file's payload checksum, and `saveId`: the save's own
 * id, full-save-id.ts). A load applies the lines in order over that full save only: a journal left from before a later
 * full save (a kill between the two writes) is stale and ignored, and a torn last line (a kill while appending) is left
 * out and said. A full save takes the noted sensors at its start (their states are in it) and removes the journal once
 * it is on disk.
 *
 * Each line holds its sensors' alert and silence states whole (not what changed), so the lines stand on their own: over
 * a full file that cannot be used, they still apply onto an empty state (store.ts `loadStates`), as long as that file's
 * header names the save they follow.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { AlertTrackerState } from '../alerts/tracker.ts';
import type { SilenceState } from '../alerts/silent-sensors.ts';
import { writeFileAtomicAsync } from '../util/atomic-write.ts';
import { keptFileBeside, readOrWhy } from '../util/kept-file.ts';
import { setAside } from '../util/set-aside.ts';
import { sameSave, saveIdOf, type FullSaveId } from './full-save-id.ts';

/** File format tag and version of the journal. */
export const ALERT_JOURNAL_FORMAT = 'vigil-alert-states';
export const ALERT_JOURNAL_VERSION = 1;

/** What the journal keeps of a sensor: the parts of its saved state an alert event changes. */
export interface AlertStates {
  alert?: AlertTrackerState;
  silence?: SilenceState;
}

/** A sensor's journal entry from its alert tracker's and silence watch's states (undefined: the sensor is gone). */
export function alertStatesOf(alert: AlertTrackerState | undefined, silence: SilenceState | undefined): AlertStates | undefined {
  return alert === undefined && silence === undefined ? undefined : { ...(alert ? { alert } : {}), ...(silence ? { silence } : {}) };
}

/** Where the journal of state file `path` lives: `STATE-alert-states.json` beside it. */
export const alertJournalPath = (path: string): string => keptFileBeside(path, 'alert-states.json')!;

/** A journal's text checked line by line. */
interface CheckedJournal {
  /** The full save its header names. */
  base: Partial<FullSaveId>;
  /** Each sound line's sensor states, in order. */
  lines: Record<string, AlertStates>[];
  /** The header and the sound lines, each with its newline: what a later line may follow. */
  sound: string;
  /** Set when a line is torn or edited: it and every line after it are left out. */
  problem?: string;
}

/** Check a journal's header (throws saying what is wrong) and its lines in order, up to the first that is not sound. */
function checkJournal(text: string): CheckedJournal {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0]) as Record<string, unknown>;
  if (header.format !== ALERT_JOURNAL_FORMAT || header.version !== ALERT_JOURNAL_VERSION) throw new Error(`format ${JSON.stringify(header.format)} version ${JSON.stringify(header.version)}; expected ${ALERT_JOURNAL_FORMAT} ${ALERT_JOURNAL_VERSION}`);
  const base = { ...(typeof header.base === 'string' ? { sha256: header.base } : {}), ...(saveIdOf(header.saveId) ? { saveId: saveIdOf(header.saveId) } : {}) };
  const out: CheckedJournal = { base, lines: [], sound: `${lines[0]}\n` };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const json = line.slice(sp + 1);
    try {
      if (sp !== 64 || createHash('sha256').update(json).digest('hex') !== line.slice(0, sp)) throw new Error('checksum does not match');
      const entries = JSON.parse(json) as Record<string, AlertStates>;
      if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw new Error('not an object of sensor states');
      out.lines.push(entries);
      out.sound += `${line}\n`;
    } catch (err) {
      // A kill while appending tears the last line only; anything after a bad line is not trusted either.
      const rest = lines.slice(i).filter((l) => l !== '').length;
      out.problem = `line ${i + 1} ${(err as Error).message} (torn or edited): ${rest} line(s) from there left out, the ${i - 1} before it used`;
      break;
    }
  }
  return out;
}

/** What a load found in the journal beside a state file. */
export interface JournalRead {
  /** Each sensor's alert states, its last line's (none when the journal follows another save, or is not there). */
  states: Map<string, AlertStates>;
  /** Why none or only some of it was used: unreadable, not a journal, or torn. */
  problem?: string;
  /** A journal is there, sound enough to read, that follows another full save than `base` (or none was given): the save it names. */
  follows?: Partial<FullSaveId>;
}

/** The journal's states when it follows the full save `base`; stale: none, and what it follows; torn or unreadable: what is sound, and why. */
export function readAlertJournal(path: string, base: FullSaveId | undefined): JournalRead {
  const { text, error } = readOrWhy(path);
  if (error !== undefined) return { states: new Map(), problem: `${path}: cannot read: ${error}` };
  if (text === undefined) return { states: new Map() };
  const states = new Map<string, AlertStates>();
  let checked: CheckedJournal;
  try {
    checked = checkJournal(text);
  } catch (err) {
    return { states, problem: `${path}: alert states not used: ${(err as Error).message}` };
  }
  // Written after another full save than the one loaded (or with none loaded): what it says is older than that file, or unanchored.
  if (!sameSave(checked.base, base)) return { states, follows: checked.base };
  for (const entries of checked.lines) for (const [sensor, st] of Object.entries(entries)) states.set(sensor, st);
  return { states, ...(checked.problem ? { problem: `${path}: ${checked.problem}` } : {}) };
}

/**
 * Move a journal that follows no usable full file aside (`FILE.corrupt-TIME`) for a person to look at: left in place,
 * the first full save would remove it unseen. Returns what to say: `why` it was not used and where it went.
 */
export function setAsideAlertJournal(path: string, why: string): string {
  const moved = setAside(path);
  return `${path}: alert states not restored: ${why}; ${moved.to ? `set aside as ${moved.to}` : 'it could not be moved aside, and the first full save removes it'}`;
}

/** The sensors noted since the last line or full save, and the appends of their alert states. */
export class AlertJournal {
  private noted = new Set<string>();
  /** The base of the journal on disk as this process knows it (undefined: not looked at, or removed). */
  private fileBase: FullSaveId | undefined;

  constructor(
    readonly path: string,
    /** A sensor's alert and silence states now (undefined: the sensor is gone). */
    private readonly stateOf: (sensor: string) => AlertStates | undefined,
  ) {}

  /** An alert event changed `sensor`'s alert or silence state. */
  note(sensor: string): void {
    this.noted.add(sensor);
  }

  /** Sensors noted and not yet written. */
  get pending(): number {
    return this.noted.size;
  }

  /**
   * A full save begins collecting: the sensors noted so far are in it. Returns what to call when it ends: on success the
   * journal is removed (what it held is in the full file); on failure the sensors stay noted for the next line.
   */
  fullSaveBegins(): (saved: boolean) => Promise<void> {
    const taken = this.noted;
    this.noted = new Set();
    return async (saved) => {
      if (!saved) {
        for (const s of taken) this.noted.add(s);
        return;
      }
      this.fileBase = undefined;
      await unlink(this.path).catch(() => {});
    };
  }

  /** Append the noted sensors' states to the journal that follows the full save `base`. Returns how many. */
  async write(base: FullSaveId): Promise<number> {
    if (this.noted.size === 0) return 0;
    const taken = this.noted;
    this.noted = new Set();
    const entries: Record<string, AlertStates> = {};
    // A sensor gone since (forgotten, evicted) is written as none: its alert in the full file is over too.
    for (const sensor of taken) entries[sensor] = this.stateOf(sensor) ?? {};
    const json = JSON.stringify(entries);
    const line = `${createHash('sha256').update(json).digest('hex')} ${json}\n`;
    try {
      const known = sameSave(this.fileBase, base);
      const kept = known ? undefined : this.keptFor(base);
      if (known || (kept !== undefined && kept.sound === kept.text)) {
        const fh = await open(this.path, 'a');
        try {
          await fh.appendFile(line);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        // A journal of its own for this full file, written whole so it never starts torn; or one of this full file that
        // ends torn (a kill or a full disk while appending), rewritten with its sound lines (their sensors are noted no
        // more: dropped, their alerts would resume from the full file) and then this one.
        const header = { format: ALERT_JOURNAL_FORMAT, version: ALERT_JOURNAL_VERSION, base: base.sha256, ...(base.saveId ? { saveId: base.saveId } : {}), createdAt: new Date().toISOString() };
        await writeFileAtomicAsync(this.path, `${kept?.sound ?? `${JSON.stringify(header)}\n`}${line}`);
      }
      this.fileBase = { ...base };
    } catch (err) {
      for (const s of taken) this.noted.add(s);
      this.fileBase = undefined;
      throw err;
    }
    return taken.size;
  }

  /** The journal on disk (a previous run's, or one whose append failed) when it follows `base`: its text and what of it is sound. */
  private keptFor(base: FullSaveId): { text: string; sound: string } | undefined {
    try {
      const text = readFileSync(this.path, 'utf8');
      const checked = checkJournal(text);
      return sameSave(checked.base, base) ? { text, sound: checked.sound } : undefined;
    } catch {
      return undefined;
    }
  }
}
