/**
 * `vigil adapt` replays the rows the model was trained on (`card.data`: their first and last time), not the whole
 * file `training.data` names: a model trained with `vigil train --rows 2000` on a 6,000-row file had its later rows
 * (a new operating point, a fault) replayed as its original training and validation windows, and a normal adaptation
 * was refused for what they held (a probe).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tinyModel } from '@vigil/fixtures/tiny-model.ts';
import { PUMP_CHANNELS, pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { originalWindows } from '../../train/adapt/window-sets.ts';
import { trainingSeries } from '../../train/training-data.ts';
import { rowsSha256 } from '../../runtime/model/training-data.ts';
import { sliceRows } from '../../runtime/data/series.ts';
import { tempDir } from './helpers.ts';

const W = 8;

describe('vigil adapt replays the rows training used', () => {
  const dir = tempDir('vigil-replay-rows-');
  const s = pumpSeries(600, 31).series;
  writeFileSync(`${dir}/all.csv`, toCsv(s));
  const iso = (i: number) => new Date(s.timestamps[i]).toISOString();
  // The rows as vigil train reads them, and the card's hash of the first 300 (what `vigil train --rows 300` records).
  const read = trainingSeries(`${dir}/all.csv`, { fill: 'error', channels: PUMP_CHANNELS });
  const trainedHash = rowsSha256(sliceRows(read, 0, 300));
  const card = (data?: { from: string; to: string; rows: number; sha256?: string }) => ({
    ...tinyModel({ window: W, channels: PUMP_CHANNELS }).card,
    stride: 1,
    training: { validationSplit: 0.2 },
    ...(data && { data: { sha256: '0'.repeat(64), hash: 't', intervalMs: 1000, ...data } }),
  });
  const opts = (notes: string[]) => ({ holdout: 0.2, replayRatio: 1, seed: 1, read: { fill: 'error' as const, onNote: (n: string) => notes.push(n) } });

  it('takes only the rows in the time the card says it was trained on', () => {
    const notes: string[] = [];
    // Trained on rows 0-299 (--rows 300): 300 rows, the last 20 % validate.
    const o = originalWindows(card({ from: iso(0), to: iso(299), rows: 300, sha256: trainedHash }) as never, `${dir}/all.csv`, 1000, opts(notes));
    expect(o.trainWindows + o.validation.count).toBe(300 - W + 1);
    expect(notes).toEqual([]);
    // The whole file, as before, for a card that does not say (older) ...
    const whole = originalWindows(card() as never, `${dir}/all.csv`, 1000, opts([]));
    expect(whole.trainWindows + whole.validation.count).toBe(600 - W + 1);
  });

  it('leaves out the windows touching labelled rows, as vigil train did (a fault is never replayed as normal)', () => {
    const labelled = `${dir}/labelled.csv`;
    writeFileSync(labelled, toCsv(s).split('\n').map((l, i) => (l === '' ? l : i === 0 ? `${l},label` : `${l},${i - 1 >= 100 && i - 1 < 120 ? 1 : 0}`)).join('\n'));
    const notes: string[] = [];
    const o = originalWindows(card() as never, labelled, 1000, opts(notes));
    // 593 windows, less the 20 + W - 1 that touch rows 100-119.
    expect(o.trainWindows + o.validation.count).toBe(600 - W + 1 - (20 + W - 1));
    expect(notes.join('\n')).toMatch(/20 row\(s\) marked anomalous in column 'label'.*left out of training/);
  });

  it('says so when the file holds other rows in that time (another export), or too few of them (another period)', () => {
    const notes: string[] = [];
    // The same hours, other values (the card's hash does not match): those hours' rows, said.
    const other = originalWindows(card({ from: iso(0), to: iso(299), rows: 300 }) as never, `${dir}/all.csv`, 1000, opts(notes));
    expect(other.trainWindows + other.validation.count).toBe(300 - W + 1);
    expect(notes[0]).toMatch(/its 300 rows in the time the model was trained on .* are not the 300 it was trained on \(another export, or other values\); replaying them/);
    const later = new Date(s.timestamps[599] + 86_400_000).toISOString();
    const none = originalWindows(card({ from: later, to: later, rows: 300 }) as never, `${dir}/all.csv`, 1000, opts(notes));
    expect(none.trainWindows + none.validation.count).toBe(600 - W + 1);
    expect(notes[1]).toMatch(/none of its rows in the time the model was trained on .*; replaying all 600/);
    // A few rows of that time only (fewer than a window needs): the whole file, said (a review: it threw after "replaying them").
    const few = originalWindows(card({ from: iso(595), to: later, rows: 300 }) as never, `${dir}/all.csv`, 1000, opts(notes));
    expect(few.trainWindows + few.validation.count).toBe(600 - W + 1);
    expect(notes[2]).toMatch(/only 5 of its rows in the time the model was trained on/);
  });
});
