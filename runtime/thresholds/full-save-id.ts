/**
 * Which full save of the state file (store.ts) the journal of alert states beside it follows (alert-journal.ts). The
 * payload's checksum alone named it, and two full saves of the same states share one: no sensor at all (every empty
 * payload has the same checksum), or nothing changed between them but an alert opened and closed again, or a
 * maintenance set and taken back. A journal left by a kill between the later save and the journal's removal then
 * passed for the later file's, and its older alert states were applied over it (an alert opened again, a sensor muted
 * again). So each full save also draws an id of its own, written in the file's header and in the journal's; a journal
 * follows a file when both match.
 */
import { randomUUID } from 'node:crypto';

/** A full save as a journal names it: its payload's checksum and its id (absent in files and journals written before ids). */
export interface FullSaveId {
  sha256: string;
  saveId?: string;
}

/** A fresh id for a full save. */
export const newSaveId = (): string => randomUUID();

/**
 * Whether `journal` (the base a journal's header names) is the full save `file`: the same checksum and the same id;
 * written before ids, both without one, the checksum alone decides (as it did when they were written).
 */
export function sameSave(journal: Partial<FullSaveId> | undefined, file: FullSaveId | undefined): boolean {
  if (!journal || !file || journal.sha256 !== file.sha256) return false;
  return journal.saveId === file.saveId;
}

/** The full save a load found (its checksum and id, as LoadResult holds them), or undefined when it found none usable. */
export function fullSaveOf(loaded: { sha256?: string; saveId?: string }): FullSaveId | undefined {
  return loaded.sha256 === undefined ? undefined : { sha256: loaded.sha256, ...(loaded.saveId ? { saveId: loaded.saveId } : {}) };
}

/** A full save's id as a header gives it: a string, or none. */
export const saveIdOf = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
