/**
 * `vigil score` on rows at another pace than the model's training interval says so, as `vigil run` does of a live
 * sensor (a probe: 60 s rows through a 10 s model, 5 of 8 alerts false, nothing said).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreCsv } from '../../runtime/cli/score.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('vigil score and the training interval', () => {
  it('notes rows much slower or faster than the card\'s interval, and nothing for rows at it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-score-pace-'));
    const model = writeTinyModel(dir, { name: 'p', window: 4, channels: ['a'], layers: [meanLayer(4, 1)], threshold: 3 });
    const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
    writeFileSync(`${model}.json`, JSON.stringify({ ...card, data: { sha256: '0'.repeat(64), hash: 'rows-v1', rows: 100, from: new Date(T0).toISOString(), to: new Date(T0 + 990_000).toISOString(), intervalMs: 10_000 } }));
    const notesAt = async (stepMs: number) => {
      const path = join(dir, `every-${stepMs}.csv`);
      writeFileSync(path, `timestamp,a\n${Array.from({ length: 20 }, (_, i) => `${new Date(T0 + i * stepMs).toISOString()},${i % 3}`).join('\n')}\n`);
      const notes: string[] = [];
      await scoreCsv({ model, data: path, providers: ['cpu'], onNote: (n) => notes.push(n) });
      return notes.filter((n) => n.includes('training interval'));
    };
    expect(await notesAt(60_000)).toEqual([expect.stringMatching(/every-60000\.csv: rows every 1m 00s, against the model's training interval of 10s: a window holds 6x the time the model learnt from, so expect false alerts/)]);
    expect(await notesAt(1_000)).toEqual([expect.stringMatching(/rows every 1s, against the model's training interval of 10s: a window holds 0\.10x/)]);
    expect(await notesAt(10_000)).toEqual([]);
    expect(await notesAt(20_000)).toEqual([]);
  });
});
