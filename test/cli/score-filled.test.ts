/**
 * `vigil score --fill`: the output marks each row whose cells the reader filled, naming the channels (`filled`), so an
 * analyst can tell a score of real readings from one of filled ones; without --fill (no cell can be filled) the
 * columns are as before. Sorted rows (--sort) keep their marks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../runtime/cli/score.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const T0 = Date.UTC(2026, 0, 1);

function fixture(rows: string[][], header = 'timestamp,temp,pressure'): { dir: string; model: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-score-filled-'));
  const model = writeTinyModel(dir, { name: 'f', window: 3, channels: ['temp', 'pressure'], layers: [meanLayer(3, 2)], scaler: { kind: 'standard', offset: [20, 5], scale: [2, 1] }, threshold: 3 });
  const data = join(dir, 'in.csv');
  writeFileSync(data, `${[header, ...rows.map((r) => r.join(','))].join('\n')}\n`);
  return { dir, model, data };
}

const at = (i: number) => new Date(T0 + i * 1000).toISOString();

/** The output's header and the `filled` cell of each row (undefined when there is no such column). */
function scored(path: string): { header: string[]; filled: (string | undefined)[] } {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const header = head.split(',');
  const i = header.indexOf('filled');
  return { header, filled: rows.map((r) => (i < 0 ? undefined : r.split(',')[i])) };
}

describe('vigil score --fill marks the rows it filled', () => {
  const rows = [
    [at(0), '20', '5'],
    [at(1), '', '5.1'],
    [at(2), 'NaN', ''],
    [at(3), '21', '5.2'],
    [at(4), '22', 'x'],
  ];

  it('--fill ffill: a `filled` column before the label, naming the filled channels of each row (empty for a real row)', async () => {
    const { dir, model, data } = fixture(rows.map((r, i) => [...r, i === 3 ? '1' : '0']), 'timestamp,temp,pressure,label');
    const out = join(dir, 'out.csv');
    expect(await run(['--model', model, '--data', data, '--out', out, '--fill', 'ffill', '--quiet'])).toBe(0);
    const s = scored(out);
    expect(s.header).toEqual(['timestamp', 'score', 'threshold', 'alert', 'err_temp', 'err_pressure', 'filled', 'label']);
    expect(s.filled).toEqual(['', 'temp', 'temp;pressure', '', 'pressure']);
  });

  it('--fill zero marks them too, and --sort carries each mark with its row', async () => {
    const { dir, model, data } = fixture([rows[3], rows[0], rows[2], rows[1], rows[4]]);
    const out = join(dir, 'out.csv');
    expect(await run(['--model', model, '--data', data, '--out', out, '--fill', 'zero', '--sort', '--quiet'])).toBe(0);
    expect(scored(out).filled).toEqual(['', 'temp', 'temp;pressure', '', 'pressure']);
  });

  it('without --fill the columns are as before (no cell can be filled)', async () => {
    const { dir, model, data } = fixture([rows[0], rows[3]]);
    const out = join(dir, 'out.csv');
    expect(await run(['--model', model, '--data', data, '--out', out, '--quiet'])).toBe(0);
    expect(scored(out).header).toEqual(['timestamp', 'score', 'threshold', 'alert', 'err_temp', 'err_pressure']);
  });
});
