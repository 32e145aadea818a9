/**
 * `vigil score` and the card's physical ranges: a cell outside its channel's range is a bad cell under --fill,
 * as `vigil run` refuses such a reading (out_of_range): an error naming line and channel under the default
 * `--fill error`, filled (and noted) under ffill, scored exactly as the file with the filled value written in.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreCsv } from '../../runtime/cli/score.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);

function fixture(): { dir: string; model: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-score-ranges-'));
  const model = writeTinyModel(dir, { name: 'r', window: 4, channels: ['temp', 'pressure'], layers: [meanLayer(4, 2)], scaler: { kind: 'standard', offset: [20, 5], scale: [2, 1] }, threshold: 3 });
  // Ranges edited into the card by hand, as a plant engineer would.
  const card = JSON.parse(readFileSync(`${model}.json`, 'utf8'));
  writeFileSync(`${model}.json`, JSON.stringify({ ...card, ranges: { temp: [-40, 125] } }));
  return { dir, model };
}

function csv(dir: string, name: string, temps: number[]): string {
  const lines = ['timestamp,temp,pressure', ...temps.map((t, i) => `${new Date(T0 + i * 1000).toISOString()},${t},${5 + (i % 3) * 0.1}`)];
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const temps = [20, 21, 22, 21, 20, 19, 20, 21, 22, 23];

describe('vigil score with card ranges', () => {
  it('--fill error (the default): a cell outside the range is an error naming line, channel, value and range', async () => {
    const { dir, model } = fixture();
    const bad = temps.slice();
    bad[6] = 900;
    await expect(scoreCsv({ model, data: csv(dir, 'bad.csv', bad), providers: ['cpu'] })).rejects.toThrow(
      /bad\.csv:8: column 'temp': '900' is outside the physical range \[-40, 125\] of channel 'temp' \(ranges\.temp in the model card\); expected a value in \[-40, 125\]/,
    );
  });

  it('--fill ffill: filled with the last value in range, noted, scored as if that value had been read', async () => {
    const { dir, model } = fixture();
    const bad = temps.slice();
    bad[6] = -300;
    const notes: string[] = [];
    const filled = await scoreCsv({ model, data: csv(dir, 'bad.csv', bad), providers: ['cpu'], fill: 'ffill', onNote: (n) => notes.push(n) });
    expect(notes.some((n) => /1 cell\(s\) filled by --fill ffill \(first: .*bad\.csv:8 column 'temp' '-300'\)/.test(n))).toBe(true);
    const same = temps.slice();
    same[6] = same[5];
    const expected = await scoreCsv({ model, data: csv(dir, 'same.csv', same), providers: ['cpu'] });
    expect(Array.from(filled.scores)).toEqual(Array.from(expected.scores));
    expect(Array.from(filled.series.data)).toEqual(Array.from(expected.series.data));
  });

  it('values inside the range (bounds included) score as before', async () => {
    const { dir, model } = fixture();
    const edge = temps.slice();
    edge[3] = 125;
    edge[4] = -40;
    const res = await scoreCsv({ model, data: csv(dir, 'edge.csv', edge), providers: ['cpu'] });
    expect(res.counters.scored).toBe(temps.length - 3);
  });
  it('a channel without a declared range still refuses values its model cannot compute (1e30: an Infinity score)', async () => {
    const { dir, model } = fixture();
    const bad = temps.slice();
    bad[6] = 21;
    const lines = ['timestamp,temp,pressure', ...bad.map((t, i) => `${new Date(T0 + i * 1000).toISOString()},${t},${i === 6 ? 1e30 : 5}`)];
    const path = join(dir, 'huge.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    await expect(scoreCsv({ model, data: path, providers: ['cpu'] })).rejects.toThrow(/huge\.csv:8: column 'pressure'.*outside the physical range \[-\d+, \d+\].*model's float32 arithmetic overflows/);
    const filled = await scoreCsv({ model, data: path, providers: ['cpu'], fill: 'ffill' });
    expect(Array.from(filled.scores).every((x) => Number.isFinite(x))).toBe(true);
  });
});
