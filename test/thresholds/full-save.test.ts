/**
 * A full save of the threshold states (runtime/thresholds/store.ts `saveStates`): its payload streamed to the temp
 * file in pieces under a header line written last in the room kept for it, every byte of each piece written, and the
 * file read back whole. The alert journal that follows such a save is alert-journal.test.ts'.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createThreshold } from '../../runtime/thresholds/factory.ts';
import { decodeStates, HEADER_ROOM, loadStates, saveStates, type SensorState } from '../../runtime/thresholds/store.ts';
import type { AlertTrackerState } from '../../runtime/alerts/tracker.ts';

const open: AlertTrackerState = { recent: [1], lastTs: 5, lastClosedAt: null, open: { openedAt: 1, quiet: 0, peak: { score: 9, threshold: 1, tsFirst: 0, tsLast: 1, perChannel: [1] } } };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-full-save-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sensors(n: number, alert?: AlertTrackerState): Map<string, SensorState> {
  const m = new Map<string, SensorState>();
  for (let i = 0; i < n; i++) m.set(`pump-${i}`, { threshold: createThreshold({ kind: 'static', value: 1 }).toJSON(), ...(alert ? { alert } : {}) });
  return m;
}

describe('a full save', () => {
  it('streams its payload in pieces under a padded header, and reads back whole', async () => {
    const path = join(dir, 'state.json');
    const many = sensors(2000, open);
    const { sensors: n, sha256 } = await saveStates(path, many, { name: 'pump-ae', version: '1' });
    const text = readFileSync(path, 'utf8');
    expect(text.length).toBeGreaterThan(3 * 32_768);
    expect(text.indexOf('\n')).toBe(HEADER_ROOM - 1);
    const back = decodeStates(text);
    expect([n, back.sha256, back.states.size]).toEqual([2000, sha256, 2000]);
    expect(back.states.get('pump-1999')).toEqual(many.get('pump-1999'));
    expect(back.model).toEqual({ name: 'pump-ae', version: '1' });
  });

  it('keeps its header within the room kept for it when the model name is not ASCII', async () => {
    // Padded by characters, a header with a 2-byte character took a byte more than its room: its newline overwrote the
    // payload's first byte, and every full save was set aside as corrupt at the next start.
    const path = join(dir, 'state.json');
    const model = { name: 'Pumpe Süd – Kühlwasser', version: '1' };
    const { sha256 } = await saveStates(path, sensors(3, open), model);
    const loaded = loadStates(path, model);
    expect(loaded.problem).toBeUndefined();
    expect([loaded.sha256, loaded.states.size, loaded.model]).toEqual([sha256, 3, model]);
    expect(readFileSync(path).indexOf('\n')).toBe(HEADER_ROOM - 1);
  });

  it('keeps a room as wide as its header needs when the model name is longer than HEADER_ROOM', async () => {
    // With a fixed room every full save failed ('does not fit'): nothing was ever saved, and no journal could follow.
    const path = join(dir, 'state.json');
    const model = { name: `pump-${'x'.repeat(1500)}`, version: '1' };
    const { sha256 } = await saveStates(path, sensors(3, open), model);
    const loaded = loadStates(path, model);
    expect(loaded.problem).toBeUndefined();
    expect([loaded.sha256, loaded.states.size, loaded.model]).toEqual([sha256, 3, model]);
  });
});

describe('a full save whose write is cut short', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes the rest of the piece, never a hole the checksum then refuses', async () => {
    // A write takes fewer bytes than asked when the disk fills for a moment (and a freed log makes room for the next):
    // the next piece, written further on, left zeros behind the short one, and the file renamed in was set aside at
    // the next start.
    const probe = await openFile(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> };
    await probe.close();
    const write = proto.write;
    let cut = 0;
    vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const [data, offset, length, position] = args as [Uint8Array, number, number, number];
      if (cut === 0 && data instanceof Uint8Array && length > 4096) {
        cut++;
        return write.call(this, data, offset, length - 4096, position);
      }
      return write.apply(this, args);
    });
    const path = join(dir, 'state.json');
    const many = sensors(500, open);
    const { sha256 } = await saveStates(path, many);
    expect(cut).toBe(1);
    const loaded = loadStates(path);
    expect(loaded.problem).toBeUndefined();
    expect([loaded.sha256, loaded.states.size]).toEqual([sha256, 500]);
  });
});
