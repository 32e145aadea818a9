/**
 * `vigil train --range CH=MIN:MAX` (repeatable) records physical ranges in the card; a training row outside a
 * range is an error naming the row and channel (it is not normal operation), whatever --fill says.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@vigil/runtime';
import { run } from '../../train/cli.ts';
import { trainModel } from '../../train/train.ts';
import { pumpSeries, toCsv } from '@vigil/fixtures/pump.ts';
import { quietly, tempDir } from './helpers.ts';

const FAST = ['--epochs', '2', '--quiet', '--backend', 'wasm', '--window', '16'];

describe('vigil train --range', () => {
  it('records every --range in the card (and options named unlike their flag, --lr, reach training)', async () => {
    const dir = tempDir();
    const csv = join(dir, 'pump.csv');
    writeFileSync(csv, toCsv(pumpSeries(200, 3).series));
    const { value: code } = await quietly(() => run(['--data', csv, '--out', join(dir, 'm/pump'), ...FAST, '--range', 'temperature=-40:125', '--range', 'pressure=0:16', '--lr', '0.01']));
    expect(code).toBe(0);
    const { card } = loadModel(join(dir, 'm/pump'));
    expect(card.ranges).toEqual({ temperature: [-40, 125], pressure: [0, 16] });
    expect(card.training.learningRate).toBe(0.01);
    // Editable by hand: the checksum covers only the .onnx, so a widened range loads.
    const path = join(dir, 'm/pump.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.ranges.pressure = [0, 25];
    writeFileSync(path, JSON.stringify(json));
    expect(loadModel(join(dir, 'm/pump')).card.ranges?.pressure).toEqual([0, 25]);
  }, 120_000);

  it('a training row outside a range is an error naming its line and channel, even with --fill ffill', async () => {
    const dir = tempDir();
    const lines = toCsv(pumpSeries(200, 4).series).trim().split('\n');
    // temperature is the 3rd channel (4th column); row 57 (line 58) reads 900.
    const cells = lines[57].split(',');
    cells[3] = '900';
    lines[57] = cells.join(',');
    const csv = join(dir, 'pump.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const args = ['--data', csv, '--out', join(dir, 'm/pump'), ...FAST, '--range', 'temperature=-40:125'];
    await expect(run(args)).rejects.toThrow(`${csv}:58: column 'temperature': '900' is outside the physical range [-40, 125] of channel 'temperature' (--range temperature=-40:125); a row outside a physical range is refused`);
    await expect(run([...args, '--fill', 'ffill'])).rejects.toThrow(/:58: column 'temperature': '900' is outside the physical range/);
  });

  it('refuses a malformed --range and one naming no channel of the data', async () => {
    const dir = tempDir();
    const csv = join(dir, 'pump.csv');
    writeFileSync(csv, toCsv(pumpSeries(100, 5).series));
    await expect(run(['--data', csv, '--out', join(dir, 'x'), ...FAST, '--range', 'temperature=125:-40'])).rejects.toThrow(/--range 'temperature=125:-40': expected MIN < MAX/);
    await expect(run(['--data', csv, '--out', join(dir, 'x'), ...FAST, '--range', 'humidity=0:100'])).rejects.toThrow(/--range: ranges names channel\(s\) 'humidity' the model does not have/);
  });

  it('a given series is checked too, naming the row', async () => {
    const { series } = pumpSeries(100, 6);
    series.data[10 * series.channels.length + 3] = -1; // pressure, row 10
    await expect(trainModel({ data: series, out: join(tempDir(), 'p'), epochs: 1, window: 8, backend: 'wasm', ranges: { pressure: [0, 16] } }))
      .rejects.toThrow("training series: row 10: channel 'pressure' is -1, outside its physical range [0, 16] (--range pressure=0:16)");
    await expect(trainModel({ data: series, out: join(tempDir(), 'p'), epochs: 1, window: 8, backend: 'wasm', ranges: { pressure: [16, 0] } }))
      .rejects.toThrow(/--range is invalid: pressure: expected min < max/);
  });
});
